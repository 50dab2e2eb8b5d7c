"""Coding aid: split Bijlage 5 of the Holwerda et al. (2014) seed text into one verbatim
block per table row, with the seed's line numbers, so that every coded value can be
traced to the lines it came from.  Run from the repository root:

    python -m coding.holwerda2014.split_bijlage5 ../shared/seeds/003_169077222a0c6c24.txt

It prints JSON lines {row, first_line, last_line, text}; primary_studies.csv was coded
from these blocks (the free-text columns verbatim, the coded columns by reading them)."""

import json
import re
import sys

from coding.common import seed_arg

START, END = "Bijlage 5  Overzicht", "Bijlage 6  Overzicht"
HEADER = [
    "Interventie (naam)",
    "Auteur(s) +  publicatiejaar",
    "(land)",
    "Soort, duur en intensiteit van",
    "interventie",
    "Met de focus op",
    "Populatie (leeftijd en problemen) Uitkomstmaten Kwaliteit",
    "van de",
    "studie",
    "(0-11)",
    "Effectiviteit",
]


def blocks(lines):
    i0 = next(i for i, l in enumerate(lines) if START in l and i > 1000)
    i1 = next(i for i, l in enumerate(lines) if END in l and i > i0)
    body = []
    for n in range(i0 + 1, i1):
        s = lines[n].rstrip("\n")
        t = s.strip()
        if t in HEADER or t.startswith("Interventie (naam)"):
            continue
        body.append((n + 1, s))
    rows, cur = [], None
    expect = 1
    nonblank = [(ln, s.strip()) for ln, s in body if s.strip()]
    after = {ln: nonblank[i + 1][1] if i + 1 < len(nonblank) else "" for i, (ln, _) in enumerate(nonblank)}
    for ln, s in body:
        t = s.strip()
        # a row starts with its number followed by the intervention name; a number alone on
        # a line is a quality score, except row "3 en 4" whose number stands alone
        m = re.match(r"^(\d{1,2})\s+\S", t)
        if not m and t == "3" and after.get(ln) == "en":
            m = re.match(r"^(\d{1,2})", t)
        if m and int(m.group(1)) == expect:
            cur = {"row": expect, "first_line": ln, "lines": []}
            rows.append(cur)
            expect += 2 if expect == 3 else 1  # row "3 en 4" covers two articles
        if cur is not None:
            cur["lines"].append((ln, s))
    for r in rows:
        r["last_line"] = r["lines"][-1][0]
        r["text"] = "\n".join(s for _, s in r["lines"]).strip()
        del r["lines"]
    return rows


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m coding.holwerda2014.split_bijlage5 SEED  (the Holwerda seed text)")
    with open(seed_arg(sys.argv[1]), encoding="utf-8") as fh:
        lines = fh.readlines()
    for r in blocks(lines):
        print(json.dumps(r, ensure_ascii=False))
