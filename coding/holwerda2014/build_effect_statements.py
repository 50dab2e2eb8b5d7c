"""Build data/holwerda2014/effect_statements.csv from Bijlage 5 of the seed text: one row per
statement of the "Effectiviteit" (effectiveness) column.  Run from the repository root:

    python -m coding.holwerda2014.build_effect_statements ../shared/seeds/003_169077222a0c6c24.txt [OUT]

(OUT defaults to data/holwerda2014/effect_statements.csv.)

How the effectiveness cell of a row is found
    The cell starts after the design and score lines of the row ("RCT" / "Quasi-" "exp", then
    the score), or, where the text extraction ran the design into the first statement
    ("RCT Kennis over opvoeding ..."), on that line with the design word removed (the design is
    coded in primary_studies.csv, it is no part of a statement).  Where a page break or the
    extraction interleaved other cells into the effectiveness text, the cell is given by hand
    as seed line ranges (``CELL``; each listed with what was left out and why).

How a cell is cut into statements (``segment``)
    Lines are read in order and gathered until a statement ends:
    - a line holding the replacement character (the lost arrow) ends an *arrow* statement; if
      text after the arrow opens a parenthesis, the statement runs on until it closes;
    - a line ending in ":" ends a *heading* (a subgroup, population, time point or comparison
      under which the following statements were reported; empty = applies to the whole study);
      a heading holds until the next heading or the next empty line;
    - a line ending in "." ends a *text* statement (a sentence without an arrow), as does an
      empty line, the end of the cell, or a hand-listed break (``BREAK_AFTER``); so does a
      line ending in ";" (an item of a list) and a line ending in ")" that closes a statement
      which began with "(";
    - a statement beginning "Voor ...:" / "Bij ...:" inside its line (row 7) is split there
      into heading and statement.
    Lines are joined with one space; a line ending in "-" is joined without a space unless
    the next word is "en"/"of" (a suspended hyphen).  The arrow is written "[?]".

Direction
    The arrows (up / down / no change) were lost in the seed's text extraction, so the direction
    of an arrow statement is ``unknown``, except where Holwerda et al.'s chapter text states the
    direction of that outcome for that study (``CHAPTER``: the seed lines are cited in
    ``direction_lines``).  A text statement that itself says there was no (significant) effect
    is coded ``none`` from its own words (``TEXT_DIRECTION``); other text statements are
    ``unknown`` (they are remarks, moderators or interpretations).  Every such decision is
    also written to coding_log.csv by build_coding_log.py.
"""

import re
from pathlib import Path

from coding.common import DATA, cli_args, write_rows
from coding.holwerda2014 import split_bijlage5
from evsynth.review.domains import DOMAINS, matched_terms

ARROW = "\ufffd"
HEADER = set(split_bijlage5.HEADER) | {"Interventie (naam)"}

# row -> seed line ranges of the effectiveness cell, where the automatic start/end is wrong
CELL = {
    5: [(4889, 4890)],  # 4891-4912: page header and, after it, outcome measures (Depressie, ...)
    8: [(5027, 5041), (5061, 5065)],  # 5042-5060: page header and blank lines inside the "NB:" sentence
    11: [(5213, 5214)],  # 5210: outcome measure and design on one line ("... recidivisme RCT")
    12: [(5231, 5232), (5249, 5254)],  # 5233-5247: the row's second half (authors, intensity, population, measures)
    16: [(5420, 5428), (5431, 5435)],  # 5429-5430: page header inside the last sentence
    20: [(5643, 5651), (5658, 5660)],  # 5652-5656: focus and outcome-measure cells interleaved
    24: [(5850, 5862), (5870, 5872)],  # 5863-5868: outcome measures interleaved after the heading
    35: [(6291, 6305), (6333, 6337)],  # 6306-6331: page header, intervention-type, duration and focus cells
    42: [(6565, 6568), (6596, 6603)],  # 6569-6592: page header, focus and risk-profile cells
    46: [(6762, 6762), (6827, 6840)],  # 6762: all columns on one line, its last item is a statement; 6826 = score
}
# why each of these cells is given by hand (written to coding_log.csv)
CELL_WHY = {
    5: "lines 4891-4912 hold a page header and, after it, outcome measures (Depressie, ...)",
    8: "lines 5042-5060 hold a page header and blank lines inside the 'NB:' sentence",
    11: "line 5210 holds an outcome measure and the design on one line ('... recidivisme RCT')",
    12: "lines 5233-5247 hold the row's second half (authors, intensity, population, measures)",
    16: "lines 5429-5430 hold a page header inside the last sentence",
    20: "lines 5652-5656 hold focus and outcome-measure cells interleaved",
    24: "lines 5863-5868 hold outcome measures interleaved after the heading",
    35: "lines 6306-6331 hold a page header and the intervention-type, duration and focus cells",
    42: "lines 6569-6592 hold a page header and the focus and risk-profile cells",
    46: "line 6762 runs all columns together (its last item is a statement); line 6826 is the score",
}
assert set(CELL_WHY) == set(CELL)
# line 6762 of row 46: the statement is the text after the design word
LINE_PREFIX = {6762: re.compile(r"^.*\bRCT\s+")}
# seed lines after which a statement ends although the rules above would run on
BREAK_AFTER = {
    5232: "the row's statement ends before the interleaved second half",
    5287: "the sentence about completers (no full stop) is followed by an arrow statement",
    5424: "two sentences without full stop: 'Er werd geen totaal effect ...' / 'Geen invloed ...'",
}

# one chapter sentence (seed lines 1384-1388) that three statements of row 26 rest on
_ROW26_12_MONTHS = (
    "positive",
    "1384-1388",
    "Daarnaast werden na 12 maanden positieve effecten gevonden op de "
    "taalontwikkeling en externaliserend gedrag van het kind en psychiatrische symptomen van de moeder",
)

# (row, first seed line of the statement) -> (direction, seed lines, words of the chapter text)
CHAPTER = {
    (13, 5291): (
        "positive",
        "1489-1494",
        "Voor een bedrag van $350 per gezin werd de participatie van gezinnen aan "
        "de thuisbegeleidingsinterventie verhoogd",
    ),
    (26, 5944): (
        "positive",
        "1372-1376",
        "De interventie had een sterk effect op de toegang tot voorzieningen, waarbij "
        "de gezinnen in de interventie aanzienlijk meer gebruik maakten van voorzieningen (91%) dan de controlegroep (33%)",
    ),
    (26, 5945): _ROW26_12_MONTHS,
    (26, 5946): _ROW26_12_MONTHS,
    (26, 5947): _ROW26_12_MONTHS,
    (26, 5949): (
        "none",
        "1390-1392",
        "Er werd geen effect gevonden voor internaliserend en dysregulerend gedrag van het "
        "kind, depressieve klachten van de moeder en opvoedstress",
    ),
    (26, 5951): (
        "positive",
        "1380-1382",
        "gezinnen na 36 maanden follow-up significant minder kans hadden om met de "
        "kinderbescherming in aanraking te komen",
    ),
}
# directions a coder looked for in the chapter text and left unknown, with the reason
LEFT_UNKNOWN = {
    (26, 5950): (
        "1390-1392",
        "Bijlage 5 reports parenting stress at 6 months (not at 12); the chapter says no effect "
        "on 'opvoedstress' without a time point: the two do not settle the direction at 6 months",
    ),
    (42, 6565): (
        "1500-1510",
        "the chapter's positive effects are attributed to 'Loman & Siegel (2004)', the table "
        "row is Loman & Siegel 2012: not taken over for a different publication year",
    ),
    (42, 6567): ("1500-1510", "as for the first statement of row 42 (publication year 2004 vs 2012)"),
    (42, 6568): ("1500-1510", "as for the first statement of row 42 (publication year 2004 vs 2012)"),
}
# text statements whose own words state the direction: (row, first line) -> direction
TEXT_DIRECTION = {
    (2, 4800): "none",  # "Beide niet meer significant bij follow-up na drie jaar"
    (3, 4847): "none",  # "Geen significante resultaten na 6 maanden"
    (8, 5031): "none",  # "Er is geen significant verschil in de mate van verandering ..."
    (12, 5231): "none",  # "Geen effect op recidive bij de totale Amerikaans-Indiaanse subpopulatie"
    (12, 5249): "none",  # "Geen coaching of interactie effecten van betekenis"
    (15, 5378): "none",  # "Er werd geen overall significant effect van het programma gevonden."
    (16, 5422): "none",  # "Er werd geen totaal effect van programma gevonden op meldingen ..."
    (16, 5425): "none",  # "Geen invloed van programma op risicofactoren ouders"
    (18, 5538): "none",  # "Geen significante verbanden op gebied van gezondheid moeder, ..."
    (19, 5599): "none",  # "Er werd geen interventie-effect gevonden na 12 maanden en na 18 maanden ..."
    (34, 6240): "none",  # "Er werd geen algemeen effect van betekenis gevonden."
    (
        14,
        5335,
    ): "none",  # "De interventie had minimale invloed op ... wat suggereert dat de gevonden effecten op toeval berusten."
    (34, 6241): "none",  # "... door een interventie gericht op de ouders geen succesvolle strategie is."
    (
        42,
        6596,
    ): "none",  # "Voor de minderheid van de gezinnen ... had de benadering met gezinsassessment weinig tot geen effect."
    (
        46,
        6827,
    ): "positive",  # "... de ouders in de interventie een stabiele score behielden, waardoor een significant verschil ontstond."
    (7, 4994): "negative",  # "Kinderen van relatief meer sociaal achtergestelde gezinnen ... werden negatief beïnvloed"
    # second coder's disagreements resolved (data/findings/second_coder_resolutions.csv)
    (
        33,
        6196,
    ): "mixed",  # "weinig interventie effecten ... 2 tot 3 jaar, maar duidelijkere interventie effecten ... 3 tot 4 jaar"
    (42, 6600): "positive",  # "Materiële ondersteuning ... verminderde wel significant het aantal volgende meldingen."
}
# TEXT_DIRECTION entries set when the second coder's disagreements were resolved, with the reason
# (written to coding_log.csv beside the statement's words)
SECOND_CODER = {
    (33, 6196): "second coder's disagreement resolved (second_coder_resolutions.csv, was: unknown): few effects at "
    "2-3 years, clearer effects at 3-4 years: favourable for one age group and hardly for the other = mixed",
    (42, 6600): "second coder's disagreement resolved (second_coder_resolutions.csv, was: unknown): 'verminderde wel "
    "significant het aantal volgende meldingen' states a favourable effect in plain words = positive",
}
assert set(SECOND_CODER) <= set(TEXT_DIRECTION)

# text statements about a moderator (what the effect depends on), not about an effect: the
# direction stays unknown (until issue 25, (35, 6335) was coded "none" as if it were an effect)
MODERATOR = {
    (35, 6335): "the statement says the effects were not related to programme duration and visits per month: "
    "a statement about moderators, not about the programme's effect",
}

# statement_id -> (domains, reason): where a coder decided the domain instead of the dictionary
DOMAIN_OVERRIDE = {
    "H5-42-01": (
        "service use",
        "'Hulp bij bestrijding armoede ... in interventie' is help received (service use), "
        "not an income or poverty outcome; the dictionary term 'armoede' would code it socio-economic",
    ),
    "H5-02-03": (
        "maltreatment/neglect",
        "second coder's disagreement resolved (second_coder_resolutions.csv): 'Beide niet meer significant'"
        " refers to the two statements before it (H5-02-01/02, domestic violence): it takes their domain "
        "(rule: a statement that refers back to named outcomes takes their domains); family functioning "
        "rejected as for H5-02-01",
    ),
    "H5-06-02": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): 'Zelfvertrouwen op het gebied"
        " van opvoeding' is the parent's confidence as a parent: parenting only (the dictionary's "
        "'zelfvertrouwen' -> parent mental health does not apply inside a parenting phrase)",
    ),
    "H5-06-04": (
        "parent mental health",
        "second coder's disagreement resolved (second_coder_resolutions.csv): 'Externaliserend gedrag "
        "moeder' is the mother's behaviour, not the child's: parent mental health (the dictionary's "
        "'externaliserend' is for child behaviour)",
    ),
    "H5-08-02": (
        "family functioning;child behaviour",
        "second coder's disagreement resolved (second_coder_resolutions.csv): 'functioneren van het kind en"
        " het gezin' names child functioning and family functioning: child behaviour; family functioning",
    ),
    "H5-10-02": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): 'Zelfvertrouwen m.b.t. "
        "opvoeding' is the parent's confidence as a parent: parenting only (as H5-06-02)",
    ),
    "H5-10-05": (
        "service use",
        "second coder's disagreement resolved (second_coder_resolutions.csv): use of services in the field "
        "of parenting: the outcome is service use; 'opvoeding' names the services' field, not a parenting "
        "outcome",
    ),
    "H5-10-10": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): the parent's knowledge of "
        "child development is a parenting outcome, not the child's development",
    ),
    "H5-10-14": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): mild physical punishment is a"
        " parenting practice: parenting (rule: punishment as a parenting practice -> parenting; "
        "maltreatment/neglect for abuse, neglect, reports and recurrence)",
    ),
    "H5-10-15": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): the parent's knowledge of "
        "child development is a parenting outcome (as H5-10-10)",
    ),
    "H5-12-01": (
        "maltreatment/neglect",
        "second coder's disagreement resolved (second_coder_resolutions.csv): 'recidive' in row 12 is "
        "recurrence of child maltreatment: maltreatment/neglect (rule: recurrence in a maltreatment study "
        "-> maltreatment/neglect)",
    ),
    "H5-14-01": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): common physical and verbal "
        "punishment (threatening to hit) is a parenting practice: parenting (as H5-10-14)",
    ),
    "H5-17-02": (
        "service use",
        "second coder's disagreement resolved (second_coder_resolutions.csv): child-health-clinic check-ups"
        " attended: use of a service (service use), not the child's health",
    ),
    "H5-17-04": (
        "service use",
        "second coder's disagreement resolved (second_coder_resolutions.csv): enrolment for dental visits "
        "is use of a provision: service use (not the child's health)",
    ),
    "H5-17-05": (
        "service use",
        "second coder's disagreement resolved (second_coder_resolutions.csv): starting early-childhood "
        "education: enrolment in a provision, service use (the dictionary's 'school' is for school "
        "performance)",
    ),
    "H5-17-07": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): positive and non-punitive "
        "parenting: parenting (as H5-10-14)",
    ),
    "H5-21-01": (
        "family functioning",
        "second coder's disagreement resolved (second_coder_resolutions.csv): support from the partner: "
        "family functioning (rule: social support from partner or family -> family functioning; access to "
        "resources -> service use)",
    ),
    "H5-21-02": (
        "family functioning",
        "second coder's disagreement resolved (second_coder_resolutions.csv): support from the family: "
        "family functioning (as H5-21-01)",
    ),
    "H5-21-04": (
        "child development/health",
        "second coder's disagreement resolved (second_coder_resolutions.csv): the child's security "
        "(attachment in interaction): child development/health",
    ),
    "H5-21-05": (
        "child development/health",
        "second coder's disagreement resolved (second_coder_resolutions.csv): the child's autonomy: child "
        "development/health",
    ),
    "H5-21-06": (
        "child behaviour",
        "second coder's disagreement resolved (second_coder_resolutions.csv): the child's involvement in a "
        "task: child behaviour",
    ),
    "H5-21-07": (
        "child behaviour",
        "second coder's disagreement resolved (second_coder_resolutions.csv): the child's externalising (of"
        " control): child behaviour",
    ),
    "H5-27-01": (
        "maltreatment/neglect",
        "second coder's disagreement resolved (second_coder_resolutions.csv): 'ziekenhuisdossiers' is the "
        "data source, not an outcome: maltreatment/neglect only",
    ),
    "H5-31-02": (
        "service use",
        "second coder's disagreement resolved (second_coder_resolutions.csv): access to resources (with "
        "social support): service use (rule: access to resources -> service use; support from partner or "
        "family -> family functioning)",
    ),
    "H5-41-03": (
        "parenting;parent mental health",
        "second coder's disagreement resolved (second_coder_resolutions.csv): parent stress attributed to "
        "the child is parenting stress: both domains, as H5-26-06 (first had parent mental health only, "
        "second parenting only)",
    ),
    "H5-41-04": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): praise, description and "
        "reflection by the parent on the child's behaviour is parent behaviour: parenting (the dictionary's"
        " 'gedrag kind' is the object here)",
    ),
    "H5-42-04": (
        "",
        "second coder's disagreement resolved (second_coder_resolutions.csv): 'weinig tot geen effect' "
        "names no outcome; the dictionary matched 'meldingen'/'uithuisplaatsingen' in the description of "
        "the subgroup (families with earlier reports and placements), not in an outcome: empty (rule: "
        "dictionary terms in a subgroup description or a data source are not outcomes)",
    ),
    "H5-42-05": (
        "maltreatment/neglect",
        "second coder's disagreement resolved (second_coder_resolutions.csv): now positive from its own words "
        "(fewer subsequent reports): maltreatment/neglect; 'voedsel, kleding, ..., huisvesting' name the support "
        "given, not an outcome (the dictionary term 'huisvesting' would code it socio-economic)",
    ),
    "H5-46-02": (
        "parenting",
        "second coder's disagreement resolved (second_coder_resolutions.csv): parent-reported involvement "
        "in the child's education is a parenting outcome: parenting",
    ),
    "H5-47-05": (
        "child behaviour",
        "second coder's disagreement resolved (second_coder_resolutions.csv): the child being upset when "
        "the mother leaves: child behaviour",
    ),
}

FIELDS = [
    "statement_id",
    "row",
    "statement_no",
    "kind",
    "subgroup_heading",
    "outcome",
    "qualifier",
    "statement",
    "direction",
    "direction_source",
    "direction_lines",
    "direction_quote",
    "outcome_domains",
    "domain_source",
    "dictionary_terms",
    "heading_lines",
    "first_line",
    "last_line",
    "source",
]


def code_domains(sid: str, kind: str, outcome: str, text: str, direction: str) -> tuple[str, str, str]:
    """Domains of a statement: the dictionary (evsynth.review.domains) applied to the outcome as
    printed (arrow statements) or to the statement (text statements whose direction is coded);
    remarks without a coded direction get no domain."""
    if kind == "text" and direction == "unknown":
        return "", "", ""
    terms = matched_terms(outcome if kind == "arrow" else text)
    if sid in DOMAIN_OVERRIDE:
        return DOMAIN_OVERRIDE[sid][0], "coder (coding_log.csv)", ";".join(t for t, _ in terms)
    doms = [d for d in DOMAINS if d in {d for _, d in terms}]
    return ";".join(doms), "dictionary" if doms else "", ";".join(t for t, _ in terms)


def _join(parts: list[str]) -> str:
    out = ""
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if not out:
            out = p
        elif out.endswith("-") and not re.match(r"(en|of)\b", p) and not out.endswith(" -"):
            out += p
        else:
            out += " " + p
    return re.sub(r"\s+", " ", out.replace(ARROW, "[?]")).strip()


def cell_lines(row: int, first: int, last: int, lines: list[str]) -> list[tuple[int, str]]:
    """(seed line number, text) of the effectiveness cell of a Bijlage 5 row; '' = empty line."""
    if row in CELL:
        spans = CELL[row]
    else:
        start = None
        for n in range(first, last + 1):
            t = lines[n - 1].strip()
            if re.match(r"^(RCT|exp)\b", t):
                start = n
        assert start is not None, row
        t = lines[start - 1].strip()
        if re.fullmatch(r"(RCT|exp)", t):
            start += 1
            while not lines[start - 1].strip():
                start += 1
            assert re.fullmatch(r"\d{1,2}", lines[start - 1].strip()), (row, start)  # the score
            start += 1
        spans = [(start, last)]
    out = []
    for a, b in spans:
        for n in range(a, b + 1):
            s = lines[n - 1].strip()
            if s in HEADER:
                continue
            if n in LINE_PREFIX:
                s = LINE_PREFIX[n].sub("", s)
            elif n == spans[0][0] and row not in CELL:
                s = re.sub(r"^(RCT|exp)\s+", "", s)
            out.append((n, s))
    while out and not out[0][1]:
        out.pop(0)
    while out and not out[-1][1]:
        out.pop()
    return out


def segment(cell: list[tuple[int, str]], headings: frozenset = frozenset()) -> list[dict]:
    """Cut a cell into headings and statements (see the module docstring); ``headings``: seed
    lines that end a heading although they do not end in ":" (programme names in Bijlage 6)."""
    units, buf, depth = [], [], 0
    heading = None

    def close(kind):
        nonlocal buf, depth, heading
        text = _join([s for _, s in buf])
        if kind == "heading":
            heading = {"text": text, "first": buf[0][0], "last": buf[-1][0]}
        else:
            units.append({"kind": kind, "text": text, "first": buf[0][0], "last": buf[-1][0], "heading": heading})
        buf, depth = [], 0

    for n, s in cell:
        if not s:
            if buf:
                close("arrow" if any(ARROW in x for _, x in buf) else "text")
            heading = None
            continue
        buf.append((n, s))
        has_arrow = any(ARROW in x for _, x in buf)
        if has_arrow:
            after = s.split(ARROW)[-1] if ARROW in s else s
            depth += after.count("(") - after.count(")")
            if depth <= 0:
                close("arrow")
            continue
        if s.endswith(":") or n in headings:
            close("heading")
        elif (
            buf[0][1].startswith("(")
            and s.endswith(")")
            and _join([x for _, x in buf]).count("(") == _join([x for _, x in buf]).count(")")
        ):
            close("text")
        elif s.endswith(".") or s.endswith(";") or n in BREAK_AFTER:
            close("text")
    if buf:
        close("arrow" if any(ARROW in x for _, x in buf) else "text")
    # a heading written inside the statement's own line: "Bij moeders van ...: huishoudelijke chaos [?]"
    for u in units:
        m = re.match(r"^((?:Voor|Bij) [^:]+:)\s+(.+)$", u["text"])
        if m and u["heading"] is None:
            u["heading"] = {"text": m.group(1), "first": u["first"], "last": u["first"]}
            u["text"] = m.group(2)
    return units


def outcome_and_qualifier(text: str) -> tuple[str, str]:
    """Outcome as printed (before the first arrow) and what follows the arrow(s)."""
    if "[?]" not in text:
        return "", ""
    before, _, after = text.partition("[?]")
    after = re.sub(r"^(\s*\[\?\])+", "", after)
    return before.strip(), after.strip()


def build(seed: str) -> list[dict]:
    lines = Path(seed).read_text(encoding="utf-8").split("\n")
    with open(seed, encoding="utf-8") as fh:
        blocks = split_bijlage5.blocks(fh.readlines())
    rows = []
    for b in blocks:
        r = b["row"]
        label = "3 en 4" if r == 3 else str(r)
        units = segment(cell_lines(r, b["first_line"], b["last_line"], lines))
        assert units, r
        for k, u in enumerate(units, 1):
            outcome, qual = outcome_and_qualifier(u["text"])
            direction, dsrc, dlines, dquote = "unknown", "", "", ""
            key = (r, u["first"])
            if u["kind"] == "arrow" and key in CHAPTER:
                direction, dlines, dquote = CHAPTER[key]
                dsrc = "Holwerda et al. (2014), chapter 4 text"
                flat = re.sub(
                    r"\s+",
                    " ",
                    " ".join(l.strip() for l in lines[int(dlines.split("-")[0]) - 1 : int(dlines.split("-")[1])]),
                )
                assert dquote in flat, (key, dquote)
            elif u["kind"] == "text" and key in TEXT_DIRECTION:
                direction, dsrc = TEXT_DIRECTION[key], "the statement's own words"
                dlines = f"{u['first']}-{u['last']}"
            elif u["kind"] == "arrow":
                dsrc = "arrow lost in the seed's text extraction"
            h = u["heading"]
            sid = f"H5-{r:02d}-{k:02d}"
            doms, dom_src, terms = code_domains(sid, u["kind"], outcome, u["text"], direction)
            rows.append(
                {
                    "statement_id": sid,
                    "row": label,
                    "statement_no": k,
                    "kind": u["kind"],
                    "subgroup_heading": h["text"] if h else "",
                    "outcome": outcome,
                    "qualifier": qual,
                    "statement": u["text"],
                    "direction": direction,
                    "direction_source": dsrc,
                    "direction_lines": dlines,
                    "direction_quote": dquote,
                    "outcome_domains": doms,
                    "domain_source": dom_src,
                    "dictionary_terms": terms,
                    "heading_lines": f"{h['first']}-{h['last']}" if h else "",
                    "first_line": u["first"],
                    "last_line": u["last"],
                    "source": f"Holwerda et al. (2014), Bijlage 5, row {label}, column Effectiviteit (seed lines {u['first']}-{u['last']})",
                }
            )
    used = {(int(x["statement_id"][3:5]), x["first_line"]) for x in rows}
    assert set(DOMAIN_OVERRIDE) <= {x["statement_id"] for x in rows}
    assert set(CHAPTER) <= used and set(TEXT_DIRECTION) <= used, (set(CHAPTER) | set(TEXT_DIRECTION)) - used
    return rows


def main(seed: str, out: str) -> None:
    write_rows(out, FIELDS, build(seed))


if __name__ == "__main__":
    main(*cli_args(DATA / "holwerda2014" / "effect_statements.csv"))
