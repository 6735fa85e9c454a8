#!/usr/bin/env python3
"""Generates the flat-file benchmark inputs: N rows of 200 modules at 10-minute
steps in Paris local time (crossing the 2026-03-29 spring change), as a long
CSV (';', decimal comma), the same rows as JSON and as XML.
   bench/files_gen.py OUT_DIR ROWS [csv]   (csv: the CSV alone)"""
import datetime, os, sys
from zoneinfo import ZoneInfo

out, rows = sys.argv[1], int(sys.argv[2])
csv_only = len(sys.argv) > 3 and sys.argv[3] == "csv"
os.makedirs(out, exist_ok=True)
paris = ZoneInfo("Europe/Paris")
modules = [f"PDL{m:05d}" for m in range(200)]
start = datetime.datetime(2026, 3, 20, tzinfo=datetime.timezone.utc)
steps = (rows + len(modules) - 1) // len(modules)
other = os.devnull if csv_only else None
with open(f"{out}/long.csv", "w") as csv, open(other or f"{out}/long.json", "w") as js, \
        open(other or f"{out}/long.xml", "w") as xml:
    csv.write("compteur;horodatage;valeur\n")
    js.write('{"export": "bench", "readings": [\n')
    xml.write('<?xml version="1.0" encoding="UTF-8"?>\n<export>\n')
    n = 0
    for s in range(steps):
        local = (start + datetime.timedelta(minutes=10 * s)).astimezone(paris).strftime("%Y-%m-%d %H:%M:%S")
        for i, m in enumerate(modules):
            if n == rows:
                break
            v = (s * 7 + i) % 100000 / 10
            vs = f"{v:.1f}"
            csv.write(f"{m};{local};{vs.replace('.', ',')}\n")
            if not csv_only:
                js.write(("," if n else "") + f'{{"compteur":"{m}","horodatage":"{local}","valeur":{vs}}}\n')
                xml.write(f'<r compteur="{m}" horodatage="{local}" valeur="{vs}"/>\n')
            n += 1
    js.write("]}\n")
    xml.write("</export>\n")
