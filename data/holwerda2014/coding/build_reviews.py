"""Build data/holwerda2014/reviews.csv from Bijlage 6 of the seed text (run from the
repository root with the seed path).  Bijlage 6 lists 9 reviews although figure 2.1
counts 10 included reviews; the table is coded as it stands and the difference is
recorded in prisma.yaml.  ``row_text`` is verbatim; title, authors, year, source and
designs are read from the row (``CODED``); ``findings_statements`` are the lines with a
lost arrow, verbatim (direction unknown)."""

import csv
import re
import sys

CODED = {  # row: (title, authors, year, source, designs_included, interventions, population)
    1: ("Individual and group-based parenting programmes for the treatment of physical child abuse and neglect",
        "Barlow et al.", 2006, "Cochrane", "RCTs",
        "Korte (i.e. tussen 6 en 30 weken) individuele of groepsprogramma's m.b.t. opvoeding",
        "Ouders van kinderen in de leeftijd van 0 - 19 jaar met een verleden van fysieke kindermishandeling of verwaarlozing"),
    2: ("Financial benefits for child health and well-being in low income or socially disadvantaged families in developed world countries",
        "Lucas et al.", 2008, "Cochrane", "RCTs / Quasi-exp",
        "Financiële steun aan arme gezinnen om de omstandigheden voor kinderen te verbeteren",
        "Arme of achtergestelde gezinnen (veel alleenstaande ouders) met kind in de leeftijd van 5 maanden tot 18 jaar of een zwangere vrouw"),
    3: ("Home-based child development interventions for preschool children from socially disadvantaged families",
        "Miller et al.", 2011, "Cochrane", "RCTs",
        "Thuisprogramma met een vast curriculum voor opvoeding en de ontwikkeling van het kind door getrainde leken of professionals",
        "Ouders met kinderen jonger dan 4 jaar die sociaal achtergesteld zijn"),
    4: ("A meta-analysis of intensive family preservation programs: Placement prevention and improvement of family functioning",
        "Al et al.", 2012, "", "Studies met controlegroep met of zonder randomisatie",
        "Korte (meestal <2 maanden) intensieve thuisbegeleidingsprogramma's om het gezin in stand te houden en uithuisplaatsing te voorkomen",
        "Gezinnen met kindermishandeling en verwaarlozing en multiprobleemgezinnen"),
    5: ("Assessing Parent Education Programs for Families Involved with Child Welfare Services", "Johnson", 2008, "",
        "RCTs", "Opvoedingsprogramma's",
        "(a) Ouders met risico op kindermishandeling (b) Ouders doorverwezen naar een opvoedingsprogramma door jeugdzorg"),
    6: ("Programs for the promotion of family wellness and the prevention of child maltreatment: a meta-analytic review",
        "MacLeod & Nelson", 2000, "", "",
        "Programma's ter bevordering van het welzijn van het gezin en ter voorkoming van kindermishandeling",
        "Gezinnen met kinderen tot 12 jaar oud"),
    7: ("The efficacy of family support and family preservation services on reducing child abuse and neglect: what the literature reveals",
        "O’Reilly et al.", 2010, "", "", "Gezinsgerichte interventies voor kindermishandeling en verwaarlozing", ""),
    8: ("Effectiveness of home visiting programs on child outcomes", "Peacock", 2013, "", "RCTs",
        "Semi-professionele huisbezoeken ter verbetering van de omstandigheden van achtergestelde gezinnen", ""),
    9: ("Is Home Visiting an Effective Strategy? A Meta-Analytic Review of Home Visiting Programs for Families With Young Children",
        "Sweet & Appelbaum", 2004, "", "RCTs, quasi-exp, pre-post designs, treatment vs norms design",
        "Programma's op basis van huisbezoeken voor gezinnen met jonge kinderen met opleiding van de ouder en ontwikkeling van het kind als doelen",
        "Gezinnen met kind van 0-5 jaar met (omgevings-) risico"),
}


def main(seed, out):
    lines = open(seed, encoding="utf-8").read().split("\n")
    i0 = max(i for i, l in enumerate(lines) if "Bijlage 6  Overzicht" in l)
    rows, cur, expect = [], None, 1
    for n in range(i0 + 1, len(lines)):
        t = lines[n].strip()
        m = re.match(r"^(\d)\s+[A-Z]", t)
        if m and int(m.group(1)) == expect:
            cur = {"row": expect, "first": n + 1, "lines": []}
            rows.append(cur)
            expect += 1
        if cur is not None:
            cur["lines"].append((n + 1, lines[n]))
    assert [r["row"] for r in rows] == list(range(1, 10))
    fields = ["row", "review_id", "title", "authors", "year", "source_database", "designs_included", "interventions",
              "population", "findings_statements", "row_text", "source"]
    out_rows = []
    for r in rows:
        text = "\n".join(s for _, s in r["lines"]).strip()
        last = r["lines"][-1][0]
        title, authors, year, src, designs, interv, pop = CODED[r["row"]]
        assert authors.split()[0] in text, r["row"]
        assert str(year) in text, r["row"]
        finds = [l.strip().replace("\ufffd", "[?]") for l in text.split("\n") if "\ufffd" in l]
        rid = re.sub(r"[^a-z]", "", authors.split()[0].lower()) + str(year)
        out_rows.append({"row": r["row"], "review_id": rid, "title": title, "authors": authors, "year": year,
                         "source_database": src, "designs_included": designs, "interventions": interv,
                         "population": pop, "findings_statements": " | ".join(finds),
                         "row_text": re.sub(r"\n\s*\n+", "\n", text).replace("\ufffd", "[?]"),
                         "source": f"Holwerda et al. (2014), Bijlage 6, row {r['row']} (seed lines {r['first']}-{last})"})
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(out_rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "data/holwerda2014/reviews.csv")
