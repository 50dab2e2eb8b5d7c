"""Coding aid for Bijlage 5: the population column (who, risk profile, child age) and the
outcome-measures column of each row, kept verbatim and split into items.

The seed's text extraction keeps each table cell as a run of lines; cells are separated by
an empty line, and within a row they come in column order: intervention and authors, type /
duration / focus, population, outcome measures, design and score, effectiveness.  For most
rows the population is therefore cell 2 and the outcome measures cell 3 (row "3 en 4": 3
and 4).  Nine rows were broken differently by the extraction (cells run together on one
line, or a row split over a page with its parts interleaved); for them the population and
outcome measures are given below as verbatim fragments (``POPULATION``/``OUTCOMES``), and
the judgement involved is written into ``coding_note``.

Every fragment and every outcome item is checked to occur in the row's text (whitespace
and line-break hyphenation normalised), so nothing here is paraphrased.

Child age: numbers only where the population text states them, in years (months / 12);
"tot 12 jaar", "jonger (dan) N jaar" and "N jaar of jonger" give only a maximum, taken as
written.  Words such as "baby", "pasgeborenen" or "peuters" without numbers give no number.
Parents' ages (e.g. adolescent mothers of 12-19) are not child ages and are not coded here.
"""

import re

# row -> (verbatim age fragment, min years, max years); rows not listed state no child age
AGE = {
    1: ("baby (0-6 maanden)", 0, 0.5),
    5: ("baby van 0-6 maanden", 0, 0.5),
    7: ("kind van 9-36 maanden", 0.75, 3),
    8: ("kinderen 11-16 jaar", 11, 16),
    10: ("kind van 0-2 jaar", 0, 2),
    11: ("kind tot 12 jaar", None, 12),
    12: ("kind tot 12 jaar", None, 12),
    13: ("baby’s van 3-18 maanden", 0.25, 1.5),
    19: ("baby van 0-18 maanden", 0, 1.5),
    20: ("kind van 2-9 jaar", 2, 9),
    21: ("kind 0-2 jaar", 0, 2),
    22: ("kind van 3-8 jaar", 3, 8),
    23: ("kind van 3-5 jaar", 3, 5),
    26: ("kind van 6-36 maanden", 0.5, 3),
    27: ("kind jonger 13 jaar", None, 13),
    29: ("kind van 11 jaar of jonger", None, 11),
    30: ("zoon van 17-27 maanden", 17 / 12, 27 / 12),
    31: ("kind jonger dan 5 jaar", None, 5),
    33: ("peuters van 2 tot 3 jaar", 2, 3),
    34: ("kinderen van 0-1 jaar", 0, 1),
    37: ("kind van 2,5 tot 12 jaar", 2.5, 12),
    38: ("kind van 2 -11 jaar", 2, 11),
    40: ("kind van 2-8 jaar", 2, 8),
    43: ("kind van 4 - 8 jaar", 4, 8),
}

# rows whose cells the extraction ran together or interleaved: (group, risk profile); a tuple
# holds the verbatim pieces of a text the extraction split apart (joined with a space)
POPULATION = {
    5: ("Zwangere Amerikaans-Indische adolescenten van 12-19 jaar + baby van 0-6 maanden", ""),
    6: ("Amerikaans-Indische tienermoeders en baby’s", ""),
    12: (
        "Amerikaans-Indiaanse zorgverleners met kind tot 12 jaar",
        "Sprake van kindermishandeling Doorverwezen door kinderbescherming",
    ),
    36: ("Ouders die hun kind fysiek mishandelen", ""),
    42: (
        "Gezinnen",
        (
            "Met kindermishandeling Met armoede, beperking en speciaal onderwijs,",
            "psychische klachten ouder, en/of afhankelijkheid middelen",
        ),
    ),
    46: (
        ("Gezinnen met een kind die naar de eerste klas", "van de lagere school gaat"),
        "Vanuit een aantal binnenstedelijke, verarmde, wijken met hoge criminaliteit en met weinig "
        "inkomens boven de armoedegrens, met een hoger misdaadcijfer dan gemiddeld, meer sociale "
        "problemen en minder middelen dan in andere wijken",
    ),
}

OUTCOMES = {
    5: [
        "Primaire uitkomstmaten:",
        "Kennis verzorging kind",
        "Vaardigheden verzorging kind",
        "Betrokkenheid moeder",
        "Secundaire uitkomstmaten:",
        "Conflicten in het gezin",
        "Gezinscohesie",
        "Sociale steun",
        "Zelfrespect",
        "Depressie",
        "Mate van controle",
        "Drugsgebruik",
    ],
    6: [
        "Kennis m.b.t. opvoeding,",
        "Zelfvertrouwen m.b.t. opvoeding,",
        "Acceptatie, betrokkenheid en reageren op kind door moeder",
        "veiligheid van de thuisomgeving,",
        "Internaliserend gedrag moeder",
        "Externaliserend gedrag moeder",
        "Middelengebruik moeder",
        "Internaliserend gedrag kind",
        "Externaliserend gedrag kind",
    ],
    11: ["Kindermishandeling recidivisme"],
    20: [
        "Onderwijs kind",
        "Sociaal gedrag kind",
        "Inkomen moeder",
        "Werk moeder",
        "Kinderopvang",
        "Buitenschoolse activiteiten",
        "Burgerlijke staat",
        "Huiselijk geweld",
        "Depressie moeder",
        "Kwaliteit thuisomgeving",
    ],
    24: [
        "Kwaliteit thuisomgeving voor ontwikkeling kind",
        "Ouder–kind interactie",
        "Mentale, psychomotorische en gedragsontwikkeling kind",
        "Gezondheid kind",
        "Roken moeder/gezinsleden tijdens zwangerschap en in eerste 2 jaar van kind",
        "Borstvoeding tijdens de eerste 2 jaar van kind",
        "Gezondheid moeder",
        "Depressie",
        "Sociale steun",
        "Aantal stressvolle gebeurtenissen in afgelopen jaar",
        "Gezinsfunctioneren",
        "Ervaring moederschap",
    ],
    12: ["Recidive kindermishandeling na 6 jaar", "Depressie ouder", "Kindermishandeling potentieel"],
    32: ["Gezinsfunctioneren"],
    36: ["Fysieke kindermishandeling", "Gedrag ouders"],
    46: [
        "Leesvaardigheid",
        "Houding naar school",
        "Houding naar leraar",
        "Agressie",
        "Hyperactiviteit",
        "Concentratie",
        "Sociale vaardigheden kind",
        "Ouderlijk toezicht",
        "Ouderlijke discipline",
        "Gezinscohesie",
        "Overtuigingen gezin",
        "Gezinsstructuur",
        "Door leraar gerapporteerde betrokkenheid van ouder bij onderwijs kind",
        "Door ouder gerapporteerde betrokkenheid bij onderwijs kind",
    ],
}

NOTES = {
    5: "Outcome measures: the seed's page break puts 'Depressie / Mate van controle / Drugsgebruik' "
    "after the effectiveness text; they carry no arrow and follow 'Secundaire uitkomstmaten:', so "
    "they are coded as the rest of the secondary outcome measures.",
    6: "Cells run together on one line in the seed; population and outcome measures separated by "
    "reading. The list ends with '12 maanden na geboorte', the time of measurement, which is "
    "not an outcome measure and not listed.",
    11: "Rows 11 and 12 (Chaffin et al., 2012 I and II) are interleaved in the seed's text; values "
    "assigned by their position in each row.",
    12: "Rows 11 and 12 (Chaffin et al., 2012 I and II) are interleaved in the seed's text; the "
    "risk profile and the last two outcome measures follow 'Chaffin et al., 2012 II'.",
    20: "Outcome measures: the seed's text extraction moves 'Kwaliteit thuisomgeving' (line 5654) below the "
    "effectiveness column, between the focus cells 'Onderwijs / Economisch' and 'Opvoeding'; it carries "
    "no arrow and is coded as the last outcome measure (the list was cut before it until issue 25).",
    24: "Outcome measures: the seed's text extraction moves 'Sociale steun / Aantal stressvolle gebeurtenissen "
    "in afgelopen jaar / Gezinsfunctioneren / Ervaring moederschap' (lines 5863-5868) below the "
    "effectiveness column, after a subgroup heading; they carry no arrow and are coded as the last four "
    "outcome measures (the list was cut before them until issue 25).",
    32: "Outcome measure and design share a line in the seed ('Gezinsfunctioneren  Quasi-exp').",
    36: "Population and outcome measures share a line in the seed.",
    42: "The seed's page break moves the end of the risk profile after the effectiveness text.",
    46: "The first line of the row runs all columns together; 'Leesvaardigheid' is its outcome "
    "measure, the rest of the population text follows on later lines.",
}


def norm(s: str) -> str:
    """Whitespace and line-break hyphenation normalised, for checking verbatim fragments."""
    s = s.replace("\ufffd", " ")
    s = re.sub(r"-[ \t]*\n\s*(?!(?:en|of)\b)", "-", s)  # "levens-/gebeurtenissen"; not "gezins- en/of"
    return re.sub(r"\s+", " ", s).strip()


def _cells(text: str) -> list[str]:
    return re.split(r"\n\n+", text)


def _items(cell: str) -> list[str]:
    """Split an outcome-measures cell into items: a new item starts on a line that begins
    with a capital letter (or "- ", or "(X)") outside open parentheses; other lines continue
    the previous item (wrapped text)."""
    items: list[str] = []
    depth = 0
    for raw in cell.split("\n"):
        line = raw.strip()
        if not line:
            continue
        new = depth == 0 and (line[0].isupper() or line.startswith("- ") or re.match(r"^\([A-Z]\)", line))
        if new or not items:
            items.append(line)
        else:
            sep = "" if items[-1].endswith("-") and not re.match(r"(en|of)\b", line) else " "
            items[-1] = items[-1] + sep + line
        depth += line.count("(") - line.count(")")
    return [re.sub(r"\s+", " ", i).strip() for i in items]


def _split_population(cell: str) -> tuple[str, str]:
    """Population cell -> (who, risk profile): the first paragraph names who, the rest
    (after the seed's blank line) the risk profile."""
    parts = [p for p in re.split(r"\n\s+\n", cell) if p.strip()]
    who = norm(parts[0]) if parts else ""
    risk = " ".join(norm(p) for p in parts[1:])
    return who, risk


def code_row(row: int, text: str) -> dict:
    cells = _cells(text)
    shift = 1 if row == 3 else 0
    flat = norm(text)
    pieces: list[str] = []
    if row in POPULATION:
        parts = [(p,) if isinstance(p, str) else p for p in POPULATION[row]]
        pieces += [x for p in parts for x in p]
        who, risk = (" ".join(p) for p in parts)
    else:
        who, risk = _split_population(cells[2 + shift])
    items = OUTCOMES[row] if row in OUTCOMES else _items(cells[3 + shift])
    for frag in [who, risk, *items] if row not in POPULATION else [*pieces, *items]:
        assert norm(frag) in flat, f"row {row}: {frag!r} is not in the seed text"
    age_text, lo, hi = AGE.get(row, ("", None, None))
    if age_text:
        assert age_text in who or age_text in text, f"row {row}: age text {age_text!r} not found"
    fmt = lambda v: "" if v is None else f"{v:.2f}"
    return {
        "population_group": who,
        "risk_profile": risk,
        "child_age_text": age_text,
        "child_age_min_years": fmt(lo),
        "child_age_max_years": fmt(hi),
        "outcome_measures": " | ".join(items),
        "n_outcome_measures": len(items),
        "coding_note": NOTES.get(row, ""),
    }
