#!/usr/bin/env python3
"""Writes a gzipped JSON access log (format json_access) with N distinct visitor cookies, one to
three page views each, for measuring how memory grows with keys and persons.

    python3 Tests/tools/many_visitors.py 1000000 /tmp/visitors.json.gz [--seed 1]

Deterministic for a seed. About one visitor in ten returns with a customer id (a second key to
link), one in twenty-five buys (/checkout/complete?value=…), so every report has rows.
"""
import argparse
import gzip
import random

PATHS = ["/", "/products/rain-jacket", "/products/boots", "/pricing", "/blog/autumn", "/cart", "/checkout"]
SOURCES = [
    ("utm_source=google&utm_medium=cpc&utm_campaign=brand", "https://www.google.com/"),
    ("", "https://www.google.com/"),
    ("utm_source=newsletter&utm_medium=email&utm_campaign=autumn", ""),
    ("", "https://www.facebook.com/"),
    ("", ""),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("visitors", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    start = 1_790_000_000  # 2026-09-21, seconds
    days = 14
    with gzip.open(a.out, "wt", compresslevel=1, encoding="utf-8") as f:
        out = []
        for v in range(a.visitors):
            vid = "%08x-%04x-%012x" % (rnd.getrandbits(32), v & 0xFFFF, rnd.getrandbits(48))
            t = start + rnd.randrange(days * 86400)
            query, referrer = SOURCES[rnd.randrange(len(SOURCES))]
            views = 1 + (rnd.random() < 0.4) + (rnd.random() < 0.2)
            customer = "c%07d" % v if rnd.random() < 0.1 else ""
            for i in range(views):
                path = PATHS[rnd.randrange(len(PATHS))] if i else "/"
                if i == views - 1 and rnd.random() < 0.04:
                    path = "/checkout/complete?value=%d.%02d" % (rnd.randrange(10, 300), rnd.randrange(100))
                elif i == 0 and query:
                    path += "?" + query
                ts = t + i * rnd.randrange(5, 600)
                stamp = "%d" % ts
                out.append('{"time":%s,"request_method":"GET","request_uri":"%s","status":"200","http_referer":"%s",'
                           '"http_user_agent":"Mozilla/5.0","visitor_id":"%s","customer_id":"%s"}\n'
                           % (stamp, path, referrer if i == 0 else "https://shop.example.com/", vid, customer if i else ""))
            if len(out) >= 10000:
                f.write("".join(out))
                out = []
        f.write("".join(out))


if __name__ == "__main__":
    main()
