#!/usr/bin/env python3
"""Open journeys' CSV outputs the way an analyst does and check the cells.

Converts each CSV in DIR to .xlsx with LibreOffice (`soffice --headless --convert-to xlsx`),
reads the workbook back with openpyxl, and checks that every cell holds the value of the CSV
field, with the right type: numbers as numbers, identifiers and text as text (a leading `'`
written by journeys to neutralise a formula or protect an identifier stays visible in
LibreOffice, so such a cell must hold exactly the CSV field), no formula anywhere.
Usage: check_spreadsheet.py [--hostile] DIR   (needs libreoffice-calc and the openpyxl package)
With --hostile (make check-hostile, fixtures/hostile/), it also checks that each formula payload
of the fixture arrived as a text cell holding the payload after its `'`.
"""
import csv, glob, os, subprocess, sys, tempfile
import openpyxl

HOSTILE_PAYLOADS = ['=HYPERLINK("http://evil","x")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3", "\tTAB=1+1", "\rCR=1+1"]

def norm(s):
    return s.replace("\r\n", "\n").replace("\r", "\n") if isinstance(s, str) else s

def main(d, hostile=False):
    files = sorted(glob.glob(os.path.join(d, "*.csv")))
    if not files:
        sys.exit(f"no CSV files in {d}")
    out = tempfile.mkdtemp()
    # CSV:44,34,76,1 = comma-separated, double-quoted, UTF-8 (76), from line 1: what the import
    # dialog picks from the byte-order mark; headless conversion without it assumes a Windows
    # code page and would show the BOM as "ï»¿".
    subprocess.run(["soffice", "--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", out] + files,
                   check=True, stdout=subprocess.DEVNULL)
    problems, cells = [], 0
    seen = set()
    for f in files:
        name = os.path.basename(f)[:-4]
        with open(f, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        ws = openpyxl.load_workbook(os.path.join(out, name + ".xlsx")).active
        for r, row in enumerate(rows, start=1):
            for c, text in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c)
                v = cell.value
                cells += 1
                if cell.data_type == "f" or (isinstance(v, str) and v.startswith("=")):
                    problems.append(f"{name}!{cell.coordinate}: formula {v!r}")
                if isinstance(v, str):
                    seen.add(norm(v))
                if text == "":
                    if v not in (None, ""):
                        problems.append(f"{name}!{cell.coordinate}: empty field became {v!r}")
                    continue
                # LibreOffice stores a CR inside a cell as a line feed (seen): compare with CRs as LFs.
                expected = norm(text)
                v = norm(v)
                if text.startswith("'"):
                    if v != expected:
                        problems.append(f"{name}!{cell.coordinate}: text {expected!r} became {v!r}")
                    continue
                try:
                    num = float(text)
                    is_num = text.strip() == text and not text.lower() in ("nan", "inf", "-inf", "infinity")
                except ValueError:
                    is_num = False
                if is_num:
                    if not isinstance(v, (int, float)) or abs(float(v) - num) > 1e-9 * max(1, abs(num)):
                        problems.append(f"{name}!{cell.coordinate}: number {text!r} became {v!r}")
                elif text in ("true", "false"):
                    if v not in (text == "true", text.upper(), text):
                        problems.append(f"{name}!{cell.coordinate}: {text!r} became {v!r}")
                elif "T" in text and text.endswith("Z") and text[:4].isdigit():
                    # ISO-8601 timestamps: LibreOffice may keep text or make a date; either keeps the instant.
                    pass
                elif str(v) != expected and not (hasattr(v, "isoformat")):
                    problems.append(f"{name}!{cell.coordinate}: {expected!r} became {v!r}")
    if hostile:
        for p in HOSTILE_PAYLOADS:
            # LibreOffice turns a lone CR inside a cell into a line feed.
            if "'" + norm(p) not in seen:
                problems.append(f"payload {p!r} is not a text cell anywhere")
    for p in problems[:40]:
        print(p)
    print(f"{len(files)} files, {cells} cells checked, {len(problems)} problems")
    sys.exit(1 if problems else 0)

if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--hostile"]
    main(args[0] if args else "demo-out", hostile="--hostile" in sys.argv[1:])
