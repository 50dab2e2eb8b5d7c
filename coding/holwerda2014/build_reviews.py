"""Build data/holwerda2014/reviews.csv and review_statements.csv from Bijlage 6 of the seed
text.  Run from the repository root:

    python -m coding.holwerda2014.build_reviews ../shared/seeds/003_169077222a0c6c24.txt [OUT]

(OUT defaults to data/holwerda2014/reviews.csv; review_statements.csv is written beside it.)

Bijlage 6 lists 9 reviews although figure 2.1 counts 10 included reviews; the table is coded as
it stands and the difference is recorded in data/holwerda2014/prisma.yaml.

``row_text`` is verbatim; title, authors, year and source database are read from the row
(``CODED``).  Every other cell is copied verbatim from the seed lines given in ``CELLS``
(hand-coded line ranges, because the extraction interleaves the table's columns and a page
break splits row 5), its lines joined with one space; the line ranges are written beside it
(``*_lines``).  The designs column is a narrow cell whose words the extraction broke
("randomi-" / "satie", "gecontrol" / "eerde"): it is written out as words (``DESIGN``) and
checked to have exactly the seed cell's letters.  ``findings``: the whole effectiveness
cell; ``review_statements.csv``: the same cell cut into statements by the rules of
build_effect_statements.py (programme names and subgroups as headings), with directions
only where the statement's words or Holwerda et al.'s section 4.9 state them."""

import re
from pathlib import Path

from coding.common import DATA, NJI_SEED, cli_args, write_rows
from coding.holwerda2014 import build_effect_statements as es

CODED = {  # row: (title, authors, year, source, designs_included, interventions, population)
    1: (
        "Individual and group-based parenting programmes for the treatment of physical child abuse and neglect",
        "Barlow et al.",
        2006,
        "Cochrane",
        "RCTs",
        "Korte (i.e. tussen 6 en 30 weken) individuele of groepsprogramma's m.b.t. opvoeding",
        "Ouders van kinderen in de leeftijd van 0 - 19 jaar met een verleden van fysieke kindermishandeling of verwaarlozing",
    ),
    2: (
        "Financial benefits for child health and well-being in low income or socially disadvantaged families in developed world countries",
        "Lucas et al.",
        2008,
        "Cochrane",
        "RCTs / Quasi-exp",
        "Financiële steun aan arme gezinnen om de omstandigheden voor kinderen te verbeteren",
        "Arme of achtergestelde gezinnen (veel alleenstaande ouders) met kind in de leeftijd van 5 maanden tot 18 jaar of een zwangere vrouw",
    ),
    3: (
        "Home-based child development interventions for preschool children from socially disadvantaged families",
        "Miller et al.",
        2011,
        "Cochrane",
        "RCTs",
        "Thuisprogramma met een vast curriculum voor opvoeding en de ontwikkeling van het kind door getrainde leken of professionals",
        "Ouders met kinderen jonger dan 4 jaar die sociaal achtergesteld zijn",
    ),
    4: (
        "A meta-analysis of intensive family preservation programs: Placement prevention and improvement of family functioning",
        "Al et al.",
        2012,
        "",
        "Studies met controlegroep met of zonder randomisatie",
        "Korte (meestal <2 maanden) intensieve thuisbegeleidingsprogramma's om het gezin in stand te houden en uithuisplaatsing te voorkomen",
        "Gezinnen met kindermishandeling en verwaarlozing en multiprobleemgezinnen",
    ),
    5: (
        "Assessing Parent Education Programs for Families Involved with Child Welfare Services",
        "Johnson",
        2008,
        "",
        "RCTs",
        "Opvoedingsprogramma's",
        "(a) Ouders met risico op kindermishandeling (b) Ouders doorverwezen naar een opvoedingsprogramma door jeugdzorg",
    ),
    6: (
        "Programs for the promotion of family wellness and the prevention of child maltreatment: a meta-analytic review",
        "MacLeod & Nelson",
        2000,
        "",
        "",
        "Programma's ter bevordering van het welzijn van het gezin en ter voorkoming van kindermishandeling",
        "Gezinnen met kinderen tot 12 jaar oud",
    ),
    7: (
        "The efficacy of family support and family preservation services on reducing child abuse and neglect: what the literature reveals",
        "O’Reilly et al.",
        2010,
        "",
        "",
        "Gezinsgerichte interventies voor kindermishandeling en verwaarlozing",
        "",
    ),
    8: (
        "Effectiveness of home visiting programs on child outcomes",
        "Peacock",
        2013,
        "",
        "RCTs",
        "Semi-professionele huisbezoeken ter verbetering van de omstandigheden van achtergestelde gezinnen",
        "",
    ),
    9: (
        "Is Home Visiting an Effective Strategy? A Meta-Analytic Review of Home Visiting Programs for Families With Young Children",
        "Sweet & Appelbaum",
        2004,
        "",
        "RCTs, quasi-exp, pre-post designs, treatment vs norms design",
        "Programma's op basis van huisbezoeken voor gezinnen met jonge kinderen met opleiding van de ouder en ontwikkeling van het kind als doelen",
        "Gezinnen met kind van 0-5 jaar met (omgevings-) risico",
    ),
}


# row -> {cell: [(first seed line, last seed line), ...]}
CELLS = {
    1: {
        "interventions": [(6911, 6913)],
        "control_group": [(6915, 6917)],
        "population": [(6919, 6921)],
        "outcome_measures": [(6923, 6934)],
        "designs": [(6936, 6936)],
        "findings": [(6936, 6942)],
    },
    2: {
        "interventions": [(6952, 6962)],
        "control_group": [(6964, 6965)],
        "population": [(6967, 6971)],
        "outcome_measures": [(6973, 6979)],
        "designs": [(6981, 6983)],
        "findings": [(6985, 6993)],
    },
    3: {
        "interventions": [(7003, 7006)],
        "control_group": [(7008, 7008)],
        "population": [(7010, 7013)],
        "outcome_measures": [(7015, 7020)],
        "designs": [(7022, 7022)],
        "findings": [(7022, 7025)],
    },
    4: {
        "interventions": [(7035, 7039)],
        "control_group": [(7041, 7041)],
        "population": [(7043, 7044)],
        "outcome_measures": [(7046, 7051)],
        "designs": [(7053, 7060)],
        "findings": [(7062, 7075)],
    },
    5: {
        "interventions": [(7083, 7083)],
        "control_group": [(7085, 7085)],
        "population": [(7087, 7092), (7114, 7118)],
        "outcome_measures": [(7094, 7099), (7120, 7122)],
        "designs": [(7101, 7106), (7125, 7126)],
        "findings": [(7108, 7113), (7128, 7229)],
    },
    6: {
        "interventions": [(7242, 7244)],
        "control_group": [],
        "population": [(7246, 7246)],
        "outcome_measures": [(7246, 7250)],
        "designs": [(7252, 7256)],
        "findings": [(7258, 7279)],
    },
    7: {
        "interventions": [(7294, 7300)],
        "control_group": [],
        "population": [(7302, 7309)],
        "outcome_measures": [(7311, 7321)],
        "designs": [],
        "findings": [(7323, 7365)],
    },
    8: {
        "interventions": [(7372, 7374)],
        "control_group": [],
        "population": [(7376, 7377)],
        "outcome_measures": [(7379, 7386)],
        "designs": [(7389, 7389)],
        "findings": [(7389, 7409)],
    },
    9: {
        "interventions": [(7419, 7438), (7440, 7443)],
        "control_group": [],
        "population": [(7445, 7459)],
        "outcome_measures": [(7461, 7471)],
        "designs": [(7473, 7480)],
        "findings": [(7482, 7516)],
    },
}
# a line shared by two cells: which part belongs to which cell
SPLIT = {
    (6936, "designs"): r"^(RCTs)",
    (6936, "findings"): r"^RCTs\s+(.*)$",
    (7022, "designs"): r"^(RCTs)",
    (7022, "findings"): r"^RCTs\s+(.*)$",
    (7389, "designs"): r"^(RCTs)",
    (7389, "findings"): r"^RCTs\s+(.*)$",
    (7246, "population"): r"^(Gezinnen met kinderen tot 12 jaar oud)",
    (7246, "outcome_measures"): r"oud\s+(.*)$",
}
# the designs cell written out as words (letters checked against the seed cell)
DESIGN = {
    1: "RCTs",
    2: "RCTs / Quasi-exp",
    3: "RCTs",
    4: "Studies met controlegroep met of zonder randomisatie",
    5: "RCTs, Quasi-exp and single group, repeated measures design",
    6: "Prospectieve, gecontroleerde studies",
    7: "",
    8: "RCTs",
    9: "RCTs, quasi-exp, pre-post designs, treatment vs norms design",
}
# Holwerda et al. section 4.9 on a review's finding: (row, first line of statement) -> (direction, lines, quote)
CHAPTER = {
    (2, 6985): (
        "positive",
        "1672-1676",
        "vond een positief effect van financiële ondersteuning (met verplichtingen en sancties) op werk",
    ),
    (4, 7062): ("positive", "1706-1710", "een medium positief effect op gezinsfunctioneren"),
    (8, 7393): (
        "positive",
        "1694-1700",
        "vonden positieve effecten op het voorkomen van kindermishandeling (als de begeleiding prenataal start)",
    ),
    (8, 7395): ("positive", "1694-1700", "de cognitieve ontwikkeling van het kind"),
    (8, 7396): ("positive", "1694-1700", "het voorkomen/ verminderen van gedragsproblemen"),
    (9, 7489): (
        "positive",
        "1645-1651",
        "vonden positieve effecten van thuisbegeleidingsinterventies op een aantal uitkomsten, "
        "zoals cognitieve ontwikkeling, opvoedingsgedrag, kindermishandeling en opleiding moeder",
    ),
}
# the NJI text (2020, seed 000_d6eb5ec40b6ce6bc.txt) on Al et al.'s subgroup finding
NJI = {
    (4, 7064): (
        "positive",
        "226-226",
        "Wanneer echter werd gecontroleerd op gezinnen met meervoudige en complexe "
        "problemen, werd wel een significant effect gevonden.",
    )
}
TEXT_DIRECTION = {
    (2, 6987): "none",
    (3, 7022): "none",
    (4, 7069): "none",
    (5, 7167): "none",
    # issue 25: directions the statements' own words give
    (
        1,
        6936,
    ): "mixed",  # "... veel programma's een aantal uitkomsten ... verbeterden, alhoewel de meeste effecten geen statistische significantie bereikten"
    (
        5,
        7110,
    ): "mixed",  # "effectief bleken bij de nameting, ging de behaalde winst ... verloren gedurende de follow-up"
    (5, 7113): "none",  # "niet effectiever bevonden dan reguliere zorg"
    (7, 7323): "mixed",  # "elke gezinsgerichte interventie had controversiële bevindingen m.b.t. effectiviteit"
    (7, 7363): "mixed",  # "(inconsistente bevindingen)"
    (8, 7389): "mixed",
}  # "studies zonder aangetoonde significante effecten komen veel meer voor dan studies die ... significante effecten aantonen"
# (row, column) -> reason, for the coding log
CODER = {
    (
        4,
        "review_statements: direction of 'preventie van uithuisplaatsing' for multiproblem families",
    ): "positive, taken from the NJI text (2020) line 226, which reports Al et al.'s subgroup result ('Wanneer echter "
    "werd gecontroleerd op gezinnen met meervoudige en complexe problemen, werd wel een significant effect "
    "gevonden'); Holwerda's section 4.9 (lines 1706-1710) gives only the overall null result",
    (
        5,
        "population;outcome_measures;designs;findings",
    ): "row 5 is split by a page break: its cells continue at lines 7114-7126 and 7128-7229 (CELLS)",
    (6, "designs_included"): "cell broken into 'Prospec-'/'tieve,'/'gecontrol'/'eerde'/'studies': written as words",
    (4, "designs_included"): "cell broken into 'controle-'/'groep', 'randomi-'/'satie': written as words",
    (
        6,
        "population;outcome_measures",
    ): "line 7246 holds the population and the first outcome measure: split after 'oud'",
    (7, "designs_included"): "the row shows no design: left empty",
    (5, "review_statements: subgroup_heading"): "'Family Connections program' (line 7161) and 'Multisystemic Therapy "
    "Training /' (7171) are programme names without a colon: read as headings (HEADINGS)",
    (7, "review_statements: subgroup_heading"): "'Huisbezoeken: inconsistentie in effectiviteit' (7326) and "
    "'Groepstherapie: inconsistentie in effectiviteit' (7347) head the lists under them: read as headings (HEADINGS)",
}
# programme names written as headings without a colon (the statements under them are that programme's)
HEADINGS = frozenset({7161, 7171, 7326, 7347})
LETTERS = re.compile(r"[^a-z]")


def _take(lines, spans, cell):
    out = []
    for a, b in spans:
        for n in range(a, b + 1):
            t = lines[n - 1].strip()
            if (n, cell) in SPLIT:
                m = re.search(SPLIT[(n, cell)], t)
                t = m.group(1) if m else ""
            out.append((n, t))
    return out


def main(seed, out, out_statements=None):
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
    fields = [
        "row",
        "review_id",
        "title",
        "authors",
        "year",
        "source_database",
        "designs_included",
        "designs_lines",
        "interventions",
        "interventions_lines",
        "control_group",
        "control_group_lines",
        "population",
        "population_lines",
        "outcome_measures",
        "outcome_measures_lines",
        "findings",
        "findings_lines",
        "findings_statements",
        "n_statements",
        "row_text",
        "source",
    ]
    out_rows, statements = [], []
    for r in rows:
        k = r["row"]
        text = "\n".join(s for _, s in r["lines"]).strip()
        last = r["lines"][-1][0]
        title, authors, year, src, _, _, _ = CODED[k]
        assert authors.split()[0] in text, k
        assert str(year) in text, k
        cells, spans = {}, {}
        for cell, sp in CELLS[k].items():
            assert all(r["first"] <= a <= b <= last for a, b in sp), (k, cell)
            got = _take(lines, sp, cell)
            cells[cell] = es._join([t for _, t in got])
            spans[cell] = ";".join(f"{a}-{b}" for a, b in sp)
        assert LETTERS.sub("", DESIGN[k].lower()) == LETTERS.sub("", cells["designs"].lower()), (k, cells["designs"])
        cell_lines = [(n, t) for n, t in _take(lines, CELLS[k]["findings"], "findings")]
        units = es.segment(cell_lines, HEADINGS)
        rid = re.sub(r"[^a-z]", "", authors.split()[0].lower()) + str(year)
        for j, u in enumerate(units, 1):
            outcome, qual = es.outcome_and_qualifier(u["text"])
            key = (k, u["first"])
            d, dsrc, dl, dq = "unknown", "", "", ""
            if u["kind"] == "arrow" and key in CHAPTER:
                d, dl, dq = CHAPTER[key]
                dsrc = "Holwerda et al. (2014), section 4.9"
                a_, b_ = map(int, dl.split("-"))
                flat = re.sub(r"\s+", " ", " ".join(x.strip() for x in lines[a_ - 1 : b_]))
                assert dq in flat, (key, dq)
            elif u["kind"] == "arrow" and key in NJI:
                d, dl, dq = NJI[key]
                dsrc = "NJI (2020), section 2 (seed 000_d6eb5ec40b6ce6bc.txt)"
                nji = (Path(seed).parent / NJI_SEED).read_text(encoding="utf-8").split("\n")
                assert dq in nji[int(dl.split("-")[0]) - 1], (key, dq)
            elif u["kind"] == "text" and key in TEXT_DIRECTION:
                d, dsrc, dl = TEXT_DIRECTION[key], "the statement's own words", f"{u['first']}-{u['last']}"
            elif u["kind"] == "arrow":
                dsrc = "arrow lost in the seed's text extraction"
            h = u["heading"]
            statements.append(
                {
                    "statement_id": f"H6-{k:02d}-{j:02d}",
                    "row": k,
                    "review_id": rid,
                    "statement_no": j,
                    "kind": u["kind"],
                    "subgroup_heading": h["text"] if h else "",
                    "outcome": outcome,
                    "qualifier": qual,
                    "statement": u["text"],
                    "direction": d,
                    "direction_source": dsrc,
                    "direction_lines": dl,
                    "direction_quote": dq,
                    "heading_lines": f"{h['first']}-{h['last']}" if h else "",
                    "first_line": u["first"],
                    "last_line": u["last"],
                    "source": f"Holwerda et al. (2014), Bijlage 6, row {k}, column Effectiviteit (seed lines {u['first']}-{u['last']})",
                }
            )
        mine = [x for x in statements if x["row"] == k]
        out_rows.append(
            {
                "row": k,
                "review_id": rid,
                "title": title,
                "authors": authors,
                "year": year,
                "source_database": src,
                "designs_included": DESIGN[k],
                "designs_lines": spans["designs"],
                "interventions": cells["interventions"],
                "interventions_lines": spans["interventions"],
                "control_group": cells["control_group"],
                "control_group_lines": spans["control_group"],
                "population": cells["population"],
                "population_lines": spans["population"],
                "outcome_measures": cells["outcome_measures"],
                "outcome_measures_lines": spans["outcome_measures"],
                "findings": cells["findings"],
                "findings_lines": spans["findings"],
                "findings_statements": " | ".join(
                    (x["subgroup_heading"] + " " if x["subgroup_heading"] else "") + x["statement"] for x in mine
                ),
                "n_statements": len(mine),
                "row_text": re.sub(r"\n\s*\n+", "\n", text).replace("\ufffd", "[?]"),
                "source": f"Holwerda et al. (2014), Bijlage 6, row {k} (seed lines {r['first']}-{last})",
            }
        )
    used = {(x["row"], x["first_line"]) for x in statements}
    assert set(NJI) <= used and set(CHAPTER) <= used and set(TEXT_DIRECTION) <= used, (
        set(CHAPTER) | set(TEXT_DIRECTION)
    ) - used
    write_rows(out, fields, out_rows)
    write_rows(out_statements or str(Path(out).with_name("review_statements.csv")), list(statements[0]), statements)


if __name__ == "__main__":
    main(*cli_args(DATA / "holwerda2014" / "reviews.csv"))
