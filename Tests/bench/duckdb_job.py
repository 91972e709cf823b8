#!/usr/bin/env python3
"""The journey job of `journeys run`, written as an analyst would write it in DuckDB SQL.

Usage: duckdb_job.py DATA_DIR THREADS [--out DIR]

DATA_DIR is a data set made by `journeys generate` (web/*.log.gz in its nginx log_format,
email/*.json.gz SendGrid events, chat/*.jsonl.gz chat events, pipeline.yaml). DuckDB reads the
gzipped files directly (read_csv / read_json with compression='gzip'), then:

  1. touchpoints: nginx lines parsed with one regexp (the generated log_format, see
     web/log_format.txt); lines that do not match, crawlers (the user-agent literals of
     Sources/JourneysReaders/BotPatterns.swift, read from that file), static assets (by the path's
     extension), methods other than GET / POST, are left out, as journeys does; SendGrid and chat
     events with a known event name and an identity key; repeated events (same event id, or the
     same parsed web request) counted once;
  2. identity map: keys (customer id, email, visitor cookie; the chat visitor id is a visitor key,
     as the generated pipeline says with chat_visitor_is_web_visitor) seen together on one
     touchpoint are linked; a key linked to more than merge_limit (20) distinct keys of one kind
     links nothing; persons are the connected components, found by label propagation (a Python
     loop issuing SQL until no label changes);
  3. sessions: a person's own actions with no gap over 30 minutes (business-side events such as
     email delivered or agent messages open no session);
  4. stages: the rules of the generated pipeline.yaml (the journey sections of
     pipelines/shop.yaml), only touchpoints with HTTP status < 400 advance a stage; the second
     order reaches `retention`; furthest stage per person;
  5. funnel: persons reaching each stage; first-touch channel: the GA4-style channel group of
     each person's first session.

Prints the funnel as CSV (stage,persons) on standard output and the other figures (persons,
touchpoints, sessions, first-touch channels, time per step) on standard error. With --out DIR
it also writes DIR/funnel.csv and DIR/channels.csv.

The stage rules below are those of the generated pipeline; the script checks that the data
set's pipeline.yaml still says what it assumes and stops (exit 2) when it does not.
"""
import os
import re
import sys
import time

import duckdb

# --- settings of the generated pipeline (Sources/JourneysGenerator/Generator.swift) ---------------
STAGES = ["awareness", "consideration", "decision", "purchase", "retention", "advocacy"]
MERGE_LIMIT = 20
SESSION_TIMEOUT_MS = 30 * 60 * 1000
INTERNAL_HOSTS = ["shop.example.com"]
# Lines of pipeline.yaml this script relies on (checked, so a changed generator is noticed).
EXPECTED_PIPELINE_LINES = [
    "customer_params: [cid]",
    "customer_fields: [customer_id]",
    "merge_limit: 20",
    "chat_visitor_is_web_visitor: true",
    "timeout: 30m",
    "order: [awareness, consideration, decision, purchase, retention, advocacy]",
    "paths: [/products, /pricing, /compare]",
    "actions: [email_click, chat_message_visitor]",
    "paths: [/cart, /checkout]",
    "paths: [/checkout/complete]",
    "paths: [/refer]",
    "actions: [chat_survey]",
    "min_score: 9",
    "internal_hosts: [shop.example.com]",
]
ASSET_EXTENSIONS = ["css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif",
                    "bmp", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "wav", "txt", "xml"]
PLACEHOLDERS = ["", "-", "null", "nil", "none", "undefined", "anonymous", "unknown", "0", "n/a"]
EMAIL_EVENTS = ["processed", "delivered", "deferred", "dropped", "bounce", "open", "click", "spamreport",
                "unsubscribe", "group_unsubscribe", "group_resubscribe"]
CLICK_IDS = ["gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "ttclid", "twclid", "li_fat_id", "yclid"]
SEARCH_SITES = ["google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ya.ru", "ecosia", "ask", "aol", "naver",
                "seznam", "qwant", "startpage", "search.brave.com", "sogou", "so.com", "daum", "msn", "kagi"]
SOCIAL_SITES = ["facebook", "fb", "instagram", "ig", "messenger", "t.co", "twitter", "x.com", "linkedin", "lnkd.in",
                "pinterest", "pin.it", "reddit", "tiktok", "snapchat", "quora", "tumblr", "vk.com", "weibo",
                "threads.net", "whatsapp", "telegram", "t.me", "discord", "mastodon.social", "bsky.app", "xing",
                "line.me", "nextdoor"]
VIDEO_SITES = ["youtube", "youtu.be", "vimeo", "twitch", "dailymotion", "wistia"]

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def q(s):
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def qlist(items):
    return "[" + ", ".join(q(i) for i in items) + "]"


def bot_regexps():
    """The bot literals of BotPatterns.swift as two RE2 patterns (substrings, prefixes)."""
    text = open(os.path.join(REPO, "Sources/JourneysReaders/BotPatterns.swift"), encoding="utf-8").read()

    def literals(name):
        m = re.search(r"static let " + name + r": \[String\] = \[(.*?)\n    \]", text, re.S)
        return re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))

    subs, prefixes = literals("substrings"), literals("prefixes")
    if len(subs) < 100:
        sys.exit("duckdb_job: could not read the bot literals of BotPatterns.swift")
    alt = lambda ls: "|".join(re.escape(s) for s in ls)
    return "(?:" + alt(subs) + ")", "^(?:" + alt(prefixes) + ")"


def domain_re(sites):
    """GA4-style domain match: the host's dot-separated labels contain the site's labels."""
    return "(?:^|\\.)(?:" + "|".join(re.escape(s) for s in sites) + ")(?:\\.|$)"


def path_rule(col, prefixes):
    """journeys' stage path patterns: a prefix that ends at a segment boundary (/, . or the end), ASCII case ignored."""
    parts = []
    for p in prefixes:
        p = p.lower()
        parts.append(f"(lower({col}) = {q(p)} OR starts_with(lower({col}), {q(p + '/')}) OR starts_with(lower({col}), {q(p + '.')}))")
    return "(" + " OR ".join(parts) + ")"


def clean(expr):
    """IdentityOptions.clean: trimmed, NULL for a placeholder."""
    t = f"trim({expr}, ' ' || chr(9) || chr(10) || chr(13))"
    return f"(CASE WHEN {t} IS NULL OR lower({t}) IN ({', '.join(q(p) for p in PLACEHOLDERS)}) THEN NULL ELSE {t} END)"


def clean_email(expr):
    c = clean(expr)
    return f"(CASE WHEN contains({c}, '@') THEN lower({c}) END)"


def param(query, name):
    """The first query parameter `name` (+ as space, percent-decoded), NULL when absent."""
    v = f"regexp_extract({query}, '(?:^|&){re.escape(name)}=([^&]*)', 1)"
    return f"(CASE WHEN regexp_matches({query}, '(?:^|&){re.escape(name)}=') THEN url_decode(replace({v}, '+', ' ')) END)"


def main():
    args = sys.argv[1:]
    out_dir = None
    if "--out" in args:
        i = args.index("--out")
        out_dir = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    data, threads = args[0], int(args[1])

    pipeline = open(os.path.join(data, "pipeline.yaml"), encoding="utf-8").read()
    missing = [l for l in EXPECTED_PIPELINE_LINES if l not in pipeline]
    if missing:
        print("duckdb_job: the data set's pipeline.yaml no longer says what this script assumes:", file=sys.stderr)
        for l in missing:
            print("  missing: " + l, file=sys.stderr)
        sys.exit(2)
    log_format = open(os.path.join(data, "web", "log_format.txt"), encoding="utf-8").read().strip()
    expected_format = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
                       '"$http_user_agent" "$cookie_visitor_id" "$cookie_customer_id" $request_time')
    if log_format != expected_format:
        sys.exit("duckdb_job: web/log_format.txt is not the format this script's regexp reads: " + log_format)

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    timings = []
    t0 = time.time()

    def step(name, sql):
        t = time.time()
        con.execute(sql)
        timings.append((name, time.time() - t))

    bot_subs, bot_prefixes = bot_regexps()
    glob = lambda p: q(os.path.join(data, p))

    # --- 1. touchpoints ------------------------------------------------------------------------
    # One nginx line: $remote_addr - $remote_user [$time_local] "$request" $status
    # $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_visitor_id" "$cookie_customer_id"
    # $request_time. Quoted fields may hold \" escapes. Lines that do not match (cut lines,
    # error-log lines, binary garbage) are journeys' `malformed` / `invalid_utf8` rejects; lines
    # that are not UTF-8 are already dropped by read_csv (ignore_errors).
    qf = r'"((?:[^"\\]|\\.)*)"'
    nginx = (r'^(\S+) - (\S+) \[([^\]]*)\] ' + qf + r' (\d+) (\S+) ' + qf + ' ' + qf + ' ' + qf + ' ' + qf + r' (\S+)$')
    groups = ["ip", "user", "time_local", "request", "status", "bytes", "referrer", "ua", "vid", "cust", "rt"]
    step("read web", f"""
        CREATE TEMP TABLE web_lines AS
        SELECT regexp_extract(line, {q(nginx)}, {qlist(groups)}) AS f
        FROM read_csv({glob('web/*.gz')}, columns = {{'line': 'VARCHAR'}}, header = false, delim = E'\\x01',
                      quote = '', escape = '', compression = 'gzip', ignore_errors = true, auto_detect = false)
    """)
    step("web touchpoints", f"""
        CREATE TEMP TABLE web AS
        WITH parsed AS (
            SELECT f.ip, f.user, f.ua, f.vid, f.cust, f.referrer,
                   try_cast(f.status AS INTEGER) AS status,
                   try_cast(f.rt AS DOUBLE) AS rt,
                   try_strptime(f.time_local, '%d/%b/%Y:%H:%M:%S %z') AS ts,
                   regexp_extract(f.request, '^(\\S+) (\\S+)(?: \\S+)?$', ['method', 'target']) AS r
            FROM web_lines
            WHERE f.request <> ''
        ), req AS (
            SELECT *, r.method AS method,
                   regexp_extract(r.target, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)(?:\\?([^#]*))?', ['path', 'query']) AS u
            FROM parsed
            WHERE ts IS NOT NULL AND r.method <> ''
              AND NOT (ua <> '-' AND (regexp_matches(lower(ua), {q(bot_subs)}) OR regexp_matches(lower(ua), {q(bot_prefixes)})))
              AND upper(r.method) IN ('GET', 'POST')
              AND r.target NOT IN ('', '-')
        ), urls AS (
            SELECT *, CASE WHEN u.path = '' THEN '/' ELSE url_decode(u.path) END AS path, u.query AS query
            FROM req
        ), keyed AS (
            SELECT epoch_ms(ts) AS ms, status, CAST(round(rt * 1000) AS INTEGER) AS rt_ms, path, query, ua,
                   lower(regexp_extract(referrer, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]*)', 1)) AS ref_host,
                   coalesce({clean("CASE WHEN vid = '-' THEN NULL ELSE url_decode(vid) END")}) AS visitor,
                   coalesce({clean("CASE WHEN cust = '-' THEN NULL ELSE url_decode(cust) END")},
                            {clean(param('query', 'cid'))},
                            {clean("CASE WHEN user = '-' THEN NULL ELSE user END")}) AS customer,
                   {clean_email(param('query', 'email'))} AS email, ip
            FROM urls
            WHERE NOT (regexp_extract(path, '\\.([^./]{{1,8}})$', 1) <> ''
                       AND lower(regexp_extract(path, '\\.([^./]{{1,8}})$', 1)) IN ({', '.join(q(e) for e in ASSET_EXTENSIONS)}))
        )
        -- A repeated request (same time, keys, URL, status, response time, user agent) counts once.
        SELECT DISTINCT ms, 'web' AS channel, 'page_view' AS action, status,
               CASE WHEN visitor IS NULL AND customer IS NULL AND email IS NULL
                    THEN 'ipua-' || ip || chr(0) || ua ELSE visitor END AS visitor,
               customer, email, path, query, ref_host, rt_ms, ua, CAST(NULL AS DOUBLE) AS score
        FROM keyed
    """)
    step("email touchpoints", f"""
        CREATE TEMP TABLE email AS
        WITH ev AS (
            SELECT *, lower(event) AS ev,
                   regexp_extract(url, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)(?:\\?([^#]*))?', ['path', 'query']) AS u
            FROM read_json({glob('email/*.gz')}, format = 'newline_delimited', compression = 'gzip', ignore_errors = true,
                           columns = {{'email': 'VARCHAR', 'timestamp': 'DOUBLE', 'event': 'VARCHAR', 'url': 'VARCHAR',
                                      'customer_id': 'VARCHAR', 'sg_event_id': 'VARCHAR'}})
        ), ids AS (
            SELECT ev, timestamp, sg_event_id,
                   CASE WHEN ev = 'click' AND coalesce(url, '') <> '' THEN CASE WHEN u.path = '' THEN '/' ELSE url_decode(u.path) END END AS path,
                   CASE WHEN ev = 'click' THEN u.query END AS query,
                   {clean('customer_id')} AS cust0,
                   {clean_email('email')} AS email0
            FROM ev
            WHERE ev IN ({', '.join(q(e) for e in EMAIL_EVENTS)})
        ), tp AS (
            SELECT CAST(round(timestamp * 1000) AS BIGINT) AS ms, 'email' AS channel,
                   CASE ev WHEN 'processed' THEN 'email_processed' WHEN 'delivered' THEN 'email_delivered'
                           WHEN 'deferred' THEN 'email_deferred' WHEN 'dropped' THEN 'email_dropped'
                           WHEN 'bounce' THEN 'email_bounce' WHEN 'open' THEN 'email_open' WHEN 'click' THEN 'email_click'
                           WHEN 'spamreport' THEN 'email_complaint' WHEN 'group_resubscribe' THEN 'email_resubscribe'
                           ELSE 'email_unsubscribe' END AS action,
                   0 AS status, CAST(NULL AS VARCHAR) AS visitor,
                   coalesce(cust0, {clean(param('query', 'cid'))}) AS customer,
                   coalesce(email0, {clean_email(param('query', 'email'))}) AS email,
                   path, query, sg_event_id
            FROM ids
            WHERE timestamp IS NOT NULL
        )
        SELECT ms, channel, action, status, visitor, customer, email, path, query,
               CAST(NULL AS VARCHAR) AS ref_host, CAST(NULL AS INTEGER) AS rt_ms, CAST(NULL AS VARCHAR) AS ua,
               CAST(NULL AS DOUBLE) AS score
        FROM (SELECT *, row_number() OVER (PARTITION BY coalesce(sg_event_id, ms || action || email)) AS n FROM tp)
        WHERE email IS NOT NULL AND n = 1
    """)
    step("chat touchpoints", f"""
        CREATE TEMP TABLE chat AS
        WITH ev AS (
            SELECT *, regexp_replace(lower(trim(coalesce(type, 'message'))), '[.\\- ]', '_', 'g') AS ev,
                   regexp_replace(lower(trim(author_role)), '[.\\- ]', '_', 'g') AS role
            FROM read_json({glob('chat/*.gz')}, format = 'newline_delimited', compression = 'gzip', ignore_errors = true,
                           columns = {{'id': 'VARCHAR', 'timestamp': 'VARCHAR', 'conversation_id': 'VARCHAR',
                                      'visitor_id': 'VARCHAR', 'visitor_email': 'VARCHAR', 'customer_id': 'VARCHAR',
                                      'author_role': 'VARCHAR', 'type': 'VARCHAR', 'rating': 'DOUBLE',
                                      'survey_score': 'DOUBLE'}})
        ), tp AS (
            SELECT epoch_ms(try_cast(timestamp AS TIMESTAMPTZ)) AS ms, 'chat' AS channel,
                   CASE WHEN ev IN ('message', 'msg', 'chat_msg', 'chat_message', 'comment', 'reply') THEN
                            CASE WHEN role IN ('visitor', 'customer', 'user', 'contact', 'end_user', 'enduser', 'lead', 'client') THEN 'chat_message_visitor'
                                 WHEN role IN ('agent', 'admin', 'operator', 'teammate', 'staff') THEN 'chat_message_agent'
                                 WHEN role IN ('bot', 'chatbot', 'system', 'automation') THEN 'chat_message_bot' END
                        WHEN ev IN ('visitor_message', 'chat_message_visitor') THEN 'chat_message_visitor'
                        WHEN ev IN ('agent_message', 'agent_reply', 'chat_message_agent') THEN 'chat_message_agent'
                        WHEN ev IN ('bot_message', 'chat_message_bot') THEN 'chat_message_bot'
                        WHEN ev IN ('chat_started', 'started', 'start', 'open', 'opened', 'chat_start', 'conversation_started') THEN 'chat_started'
                        WHEN ev IN ('rating', 'rated', 'chat_rating', 'chat_rated') AND rating BETWEEN 1 AND 5 THEN 'chat_rating'
                        WHEN ev IN ('survey', 'nps', 'chat_survey', 'survey_response') AND survey_score BETWEEN 0 AND 10 THEN 'chat_survey'
                        WHEN ev IN ('closed', 'close', 'end', 'ended', 'chat_closed', 'chat_ended', 'conversation_closed') THEN 'chat_closed'
                   END AS action,
                   0 AS status,
                   {clean('visitor_id')} AS visitor,    -- chat_visitor_is_web_visitor: true
                   {clean('customer_id')} AS customer,
                   {clean_email('visitor_email')} AS email,
                   CASE WHEN ev IN ('survey', 'nps', 'chat_survey', 'survey_response') THEN survey_score ELSE rating END AS score,
                   id
            FROM ev
        )
        SELECT ms, channel, action, status, visitor, customer, email,
               CAST(NULL AS VARCHAR) AS path, CAST(NULL AS VARCHAR) AS query, CAST(NULL AS VARCHAR) AS ref_host,
               CAST(NULL AS INTEGER) AS rt_ms, CAST(NULL AS VARCHAR) AS ua, score
        FROM (SELECT *, row_number() OVER (PARTITION BY coalesce(id, ms || action || coalesce(visitor, email, customer))) AS n FROM tp)
        WHERE n = 1 AND ms IS NOT NULL AND action IS NOT NULL
          AND (visitor IS NOT NULL OR email IS NOT NULL OR customer IS NOT NULL)
    """)
    step("all touchpoints", """
        CREATE TEMP TABLE tp AS
        SELECT row_number() OVER () AS tp_id, *
        FROM (SELECT * FROM web UNION ALL SELECT * FROM email UNION ALL SELECT * FROM chat)
    """)
    con.execute("DROP TABLE web_lines; DROP TABLE web; DROP TABLE email; DROP TABLE chat")

    # --- 2. identity map --------------------------------------------------------------------------
    # Keys as (kind, value); the kind order customer < email < visitor is the anchor order of
    # journeys' Stitcher (a touchpoint belongs to the component of its first unblocked key).
    step("keys", """
        CREATE TEMP TABLE tp_keys AS
        SELECT tp_id, kind, value FROM (
            SELECT tp_id, 1 AS kind, customer AS value FROM tp WHERE customer IS NOT NULL
            UNION ALL SELECT tp_id, 2, email FROM tp WHERE email IS NOT NULL
            UNION ALL SELECT tp_id, 3, visitor FROM tp WHERE visitor IS NOT NULL)
    """)
    step("key ids", """
        CREATE TEMP TABLE keys AS
        SELECT row_number() OVER () AS key_id, kind, value FROM (SELECT DISTINCT kind, value FROM tp_keys)
    """)
    step("links", """
        CREATE TEMP TABLE tk AS SELECT t.tp_id, k.key_id, k.kind FROM tp_keys t JOIN keys k USING (kind, value);
        CREATE TEMP TABLE links AS
        SELECT DISTINCT a.key_id AS a, b.key_id AS b, b.kind AS b_kind FROM tk a JOIN tk b ON a.tp_id = b.tp_id AND a.key_id <> b.key_id;
    """)
    # A key linked to more than MERGE_LIMIT distinct keys of one kind is blocked: it links nothing.
    step("blocked keys", f"""
        CREATE TEMP TABLE blocked AS
        SELECT DISTINCT a AS key_id FROM links GROUP BY a, b_kind HAVING count(*) > {MERGE_LIMIT}
    """)
    step("edges", """
        CREATE TEMP TABLE edges AS
        SELECT a, b FROM links WHERE a NOT IN (SELECT key_id FROM blocked) AND b NOT IN (SELECT key_id FROM blocked)
    """)
    # Connected components: every key takes the smallest label among itself and its neighbours,
    # then the label of its label (pointer jumping), until nothing changes.
    con.execute("CREATE TEMP TABLE labels AS SELECT key_id, key_id AS label FROM keys")
    iterations = 0
    t = time.time()
    while True:
        iterations += 1
        con.execute("""
            CREATE OR REPLACE TEMP TABLE next AS
            WITH hop AS (
                SELECT key_id, min(label) AS label FROM (
                    SELECT key_id, label FROM labels
                    UNION ALL SELECT e.a, l.label FROM edges e JOIN labels l ON l.key_id = e.b)
                GROUP BY key_id)
            SELECT h.key_id, least(h.label, j.label) AS label FROM hop h JOIN hop j ON j.key_id = h.label
        """)
        changed = con.execute("SELECT count(*) FROM next n JOIN labels l USING (key_id) WHERE n.label <> l.label").fetchone()[0]
        con.execute("DROP TABLE labels; ALTER TABLE next RENAME TO labels")
        if changed == 0:
            break
    timings.append((f"components ({iterations} passes)", time.time() - t))
    # Each touchpoint's person: the component of its first unblocked key; a touchpoint whose keys
    # are all blocked belongs to its preferred blocked key alone (customer first, then kind, value).
    step("persons", """
        CREATE TEMP TABLE tp_person AS
        SELECT tp_id, coalesce(
                   arg_min(l.label, tk.kind) FILTER (WHERE b.key_id IS NULL),
                   arg_min(tk.key_id, k.kind::VARCHAR || chr(0) || k.value)) AS person
        FROM tk JOIN labels l USING (key_id) JOIN keys k USING (key_id) LEFT JOIN blocked b USING (key_id)
        GROUP BY tp_id
    """)
    step("journey table", """
        CREATE TEMP TABLE j AS SELECT p.person, tp.* FROM tp JOIN tp_person p USING (tp_id)
    """)

    # --- 3. sessions and first-touch channel -----------------------------------------------------------
    person_actions = ("'page_view', 'email_open', 'email_click', 'email_unsubscribe', 'email_resubscribe', "
                      "'chat_started', 'chat_message_visitor', 'chat_rating', 'chat_survey', 'purchase', 'custom'")
    internal = " OR ".join(f"ref_host = {q(h)} OR ends_with(ref_host, {q('.' + h)})" for h in INTERNAL_HOSTS)
    paid = "(contains(medium, 'cp') OR medium IN ('ppc', 'retargeting') OR starts_with(medium, 'paid'))"
    step("sessions", f"""
        CREATE TEMP TABLE sessions AS
        WITH acts AS (
            SELECT *, CASE WHEN lag(ms) OVER w IS NULL OR ms - lag(ms) OVER w > {SESSION_TIMEOUT_MS} THEN 1 ELSE 0 END AS opens
            FROM j WHERE action IN ({person_actions})
            WINDOW w AS (PARTITION BY person ORDER BY ms, channel, tp_id)
        ), firsts AS (
            SELECT *, sum(opens) OVER (PARTITION BY person ORDER BY ms, channel, tp_id) AS session_no FROM acts
        ), src AS (
            SELECT person, session_no, ms, channel,
                   lower({param('query', 'utm_source')}) AS utm_source, lower({param('query', 'utm_medium')}) AS utm_medium,
                   lower(regexp_extract(query, '(?:^|&)({'|'.join(CLICK_IDS)})=[^&]', 1)) AS click_id,
                   CASE WHEN ref_host IS NULL OR ref_host = '' OR {internal} THEN NULL ELSE ref_host END AS referrer
            FROM firsts WHERE opens = 1
        ), sm AS (
            SELECT *,
                   CASE WHEN utm_source IS NOT NULL OR utm_medium IS NOT NULL THEN coalesce(utm_source, '(not set)')
                        WHEN click_id IN ('gclid', 'gbraid', 'wbraid', 'dclid') THEN 'google'
                        WHEN click_id = 'msclkid' THEN 'bing'
                        WHEN referrer IS NOT NULL THEN referrer ELSE '(direct)' END AS source,
                   CASE WHEN utm_source IS NOT NULL OR utm_medium IS NOT NULL THEN coalesce(utm_medium, '(not set)')
                        WHEN click_id IN ('gclid', 'gbraid', 'wbraid', 'dclid', 'msclkid') THEN 'cpc'
                        WHEN referrer IS NOT NULL THEN
                             CASE WHEN regexp_matches(referrer, {q(domain_re(SEARCH_SITES))}) THEN 'organic' ELSE 'referral' END
                        ELSE '(none)' END AS medium
            FROM src
        )
        SELECT person, session_no, ms, channel AS tp_channel,
               CASE WHEN channel = 'email' THEN 'email'
                    WHEN channel = 'chat' THEN 'chat'
                    WHEN click_id IN ('gclid', 'gbraid', 'wbraid', 'dclid', 'msclkid') THEN 'paid_search'
                    WHEN regexp_matches(source, {q(domain_re(SEARCH_SITES))}) AND {paid} THEN 'paid_search'
                    WHEN regexp_matches(source, {q(domain_re(SOCIAL_SITES))}) AND {paid} THEN 'paid_social'
                    WHEN medium IN ('display', 'banner', 'expandable', 'interstitial', 'cpm') THEN 'display'
                    WHEN {paid} THEN 'paid_other'
                    WHEN regexp_matches(source, {q(domain_re(SOCIAL_SITES))})
                         OR medium IN ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')
                         OR click_id = 'fbclid' THEN 'organic_social'
                    WHEN regexp_matches(source, {q(domain_re(VIDEO_SITES))}) OR contains(medium, 'video') THEN 'organic_video'
                    WHEN regexp_matches(source, {q(domain_re(SEARCH_SITES))}) OR medium = 'organic' THEN 'organic_search'
                    WHEN medium IN ('referral', 'app', 'link') THEN 'referral'
                    WHEN source IN ('email', 'e-mail', 'e_mail', 'e mail') OR medium IN ('email', 'e-mail', 'e_mail', 'e mail') THEN 'email'
                    WHEN medium IN ('affiliate', 'affiliates') THEN 'affiliates'
                    WHEN source = '(direct)' AND medium IN ('(none)', '(not set)') THEN 'direct'
                    ELSE 'unassigned' END AS channel
        FROM sm
    """)

    # --- 4. stages (rules of the generated pipeline; only status < 400 advances a stage) --------------
    ok = "status < 400"
    step("stages", f"""
        CREATE TEMP TABLE stage_hits AS
        WITH hits AS (
            SELECT person, ms,
                   {ok} AS awareness,
                   {ok} AND ({path_rule('path', ['/products', '/pricing', '/compare'])} OR action IN ('email_click', 'chat_message_visitor')) AS consideration,
                   {ok} AND {path_rule('path', ['/cart', '/checkout'])} AS decision,
                   status < 400 AND {path_rule('path', ['/checkout/complete'])} AS is_order,
                   {ok} AND ({path_rule('path', ['/refer'])} OR (action = 'chat_survey' AND score >= 9)) AS advocacy
            FROM j
        )
        SELECT person,
               min(ms) FILTER (WHERE awareness) AS awareness,
               min(ms) FILTER (WHERE consideration) AS consideration,
               min(ms) FILTER (WHERE decision) AS decision,
               min(ms) FILTER (WHERE is_order) AS purchase,
               -- the second order reaches retention (repeat_purchase_stage)
               CASE WHEN count(*) FILTER (WHERE is_order) >= 2
                    THEN list_sort(list(ms) FILTER (WHERE is_order))[2] END AS retention,
               min(ms) FILTER (WHERE advocacy) AS advocacy
        FROM hits GROUP BY person
    """)
    stage_cols = ", ".join(f"count({s}) AS {s}" for s in STAGES)
    funnel = con.execute(f"SELECT {stage_cols} FROM stage_hits").fetchone()
    furthest = con.execute(f"""
        SELECT furthest, count(*) FROM (
            SELECT CASE {' '.join(f"WHEN {s} IS NOT NULL THEN '{s}'" for s in reversed(STAGES))} ELSE '(none)' END AS furthest
            FROM stage_hits) GROUP BY ALL ORDER BY 2 DESC
    """).fetchall()
    channels = con.execute("""
        SELECT coalesce(s.channel, '(none)') AS channel, count(*) AS persons
        FROM (SELECT DISTINCT person FROM j) p
        LEFT JOIN (SELECT person, arg_min(channel, (ms, tp_channel)) AS channel FROM sessions GROUP BY person) s USING (person)
        GROUP BY ALL ORDER BY persons DESC, channel
    """).fetchall()
    persons = con.execute("SELECT count(DISTINCT person) FROM j").fetchone()[0]
    touchpoints = con.execute("SELECT count(*) FROM j").fetchone()[0]
    n_sessions = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    n_blocked = con.execute("SELECT count(*) FROM blocked").fetchone()[0]
    total = time.time() - t0

    print("stage,persons")
    for s, n in zip(STAGES, funnel):
        print(f"{s},{n}")
    sys.stdout.flush()
    err = sys.stderr
    print(f"duckdb_job: DuckDB {duckdb.__version__}, {threads} threads, {total:.2f} s", file=err)
    print(f"duckdb_job: {touchpoints} touchpoints, {persons} persons, {n_sessions} sessions, {n_blocked} blocked keys", file=err)
    print("duckdb_job: furthest stage: " + ", ".join(f"{s} {n}" for s, n in furthest), file=err)
    print("duckdb_job: first-touch channel: " + ", ".join(f"{c} {n}" for c, n in channels), file=err)
    print("duckdb_job: steps: " + ", ".join(f"{name} {sec:.2f} s" for name, sec in timings), file=err)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "funnel.csv"), "w") as f:
            f.write("stage,persons\n" + "".join(f"{s},{n}\n" for s, n in zip(STAGES, funnel)))
        with open(os.path.join(out_dir, "channels.csv"), "w") as f:
            f.write("channel,persons\n" + "".join(f"{c},{n}\n" for c, n in channels))
        with open(os.path.join(out_dir, "totals.txt"), "w") as f:
            f.write(f"touchpoints {touchpoints}\npersons {persons}\nsessions {n_sessions}\n")


if __name__ == "__main__":
    main()
