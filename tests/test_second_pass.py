"""Independent second pass over the coded statement, review and findings tables (issue 12).

The coding scripts cut the seed into cells and statements by rules
(coding/holwerda2014/build_effect_statements.py and build_reviews.py,
coding/findings/build_findings.py).  This file does not use them.  Its routes are:
- a second coder's reading of the seed, typed here (``SECOND_CODER``, ``REVIEWS``): the expected
  statement, heading, line range and direction of the rows the text extraction broke (statements
  over several lines, the design run into the first statement, subgroup headings), and of the
  review cells the first coding got wrong;
- a regex over the raw seed lines: every word of a coded text must follow in order, with only
  white space (or a line-break hyphen) between them, inside the cited line window; every line of
  Bijlage 5 that holds a lost arrow must be covered by exactly one arrow statement;
- counts: arrows per seed line against arrows per statement.
Expected values come from the seed text (line numbers of 003_169077222a0c6c24.txt and
000_d6eb5ec40b6ce6bc.txt), never from the coded tables."""

import re

import pandas as pd
import pytest

from conftest import ROOT, SHARED

SEEDS = SHARED / "seeds"
HOL = SEEDS / "003_169077222a0c6c24.txt"
NJI = SEEDS / "000_d6eb5ec40b6ce6bc.txt"
pytestmark = pytest.mark.skipif(
    not HOL.exists() or not NJI.exists(), reason="../shared/seeds is not beside the repository"
)

ES = pd.read_csv(ROOT / "data/holwerda2014/effect_statements.csv", dtype=str, keep_default_na=False)
RS = pd.read_csv(ROOT / "data/holwerda2014/review_statements.csv", dtype=str, keep_default_na=False)
RV = pd.read_csv(ROOT / "data/holwerda2014/reviews.csv", dtype=str, keep_default_na=False)
PS = pd.read_csv(ROOT / "data/holwerda2014/primary_studies.csv", dtype=str, keep_default_na=False)
FN = pd.read_csv(ROOT / "data/findings/findings.csv", dtype=str, keep_default_na=False)


def _lines(path):
    return path.read_text(encoding="utf-8").split("\n")


def _words_regex(text: str, skip_lines: bool = False) -> re.Pattern:
    """The words of ``text`` in order, anything made of white space, line-break hyphens, arrows
    and markdown '*' between them; with ``skip_lines``, also whole lines of other text (a page
    header or another cell that a page break put inside the statement)."""
    words = [w for w in re.split(r"\s+", text.replace("[?]", " ").replace("*", " ")) if w]
    gap = r"(?:[\s\ufffd*]|-\s*\n)*"
    if skip_lines:
        gap = r"(?:[\s\ufffd*]|-\s*\n|\n[^\n]*(?=\n))*"
    return re.compile(gap.join(re.escape(w).replace(r"\-", r"-?\s*") for w in words))


PAGE_BREAK_ROWS = {"8", "16", "35"}  # statements whose lines a page header or another cell interrupts


def _in_window(path, text: str, first: int, last: int, skip_lines: bool = False) -> bool:
    lines = _lines(path)
    window = "\n".join(lines[first - 1 : last]).replace("*", "")  # markdown emphasis in the NJI text
    return bool(_words_regex(text, skip_lines).search(window))


# --- the second coder's reading of Bijlage 5 -------------------------------------------------
# (row, first seed line) -> (statement as printed, [?] for the lost arrow; subgroup heading; last line; direction)
SECOND_CODER = {
    # statements over several lines (cut to their last line in the first coding)
    ("1", 4766): ("Door ouders gerapporteerde verwondingen en blauwe plekken [?]", "", 4767, "unknown"),
    ("2", 4798): ("Huiselijk geweld gepleegd door moeder (voornamelijk fysiek) [?]", "", 4799, "unknown"),
    ("7", 4972): ("huishoudelijke chaos [?]", "Bij moeders van kinderen vanaf 9 maanden:", 4973, "unknown"),
    ("10", 5169): (
        "Gebruik van diensten van instanties op het gebied van opvoeding [?]",
        "Voor niet-agressieve gezinnen:",
        5170,
        "unknown",
    ),
    ("10", 5181): (
        "Kans op vaste pediatrische primaire zorgverlener voor kind [?]",
        "Voor gezinnen met 20 bezoeken of meer m.b.t. opvoeding:",
        5182,
        "unknown",
    ),
    ("13", 5291): ("Deelname aan huisbezoek-programma na afloop van interventie [?]", "", 5292, "positive"),
    ("14", 5330): (
        "Slaan van kind met een voorwerp [?] (door moeders met beginscore op FSC < 25)",
        "",
        5331,
        "unknown",
    ),
    ("17", 5482): (
        "Aantal bezoeken ziekenhuis voor ongevallen/verwondingen en incidentele vergiftigingen [?]",
        "",
        5483,
        "unknown",
    ),
    ("17", 5491): ("Percentages van internaliserende en totaal probleemscore [?]", "", 5492, "unknown"),
    ("19", 5604): ("Tevredenheid met diensten voor maatschappelijke gezondheidszorg [?]", "", 5605, "unknown"),
    ("24", 5850): ("Emotionele en verbale responsiviteit na 12 en 24 maanden [?]", "", 5851, "unknown"),
    ("25", 5902): (
        "Concrete diensten/voorzieningen, lichamelijke verzorging en beschikbare middelen [?]",
        "",
        5903,
        "unknown",
    ),
    ("26", 5947): ("Algemene psychiatrische symptomen moeder na 12 maanden [?]", "", 5948, "positive"),
    ("27", 5986): ("Recidive kindermishandeling of verwaarlozing (ziekenhuisdossiers) [?]", "", 5987, "unknown"),
    ("32", 6161): ("Mate van flexibele verwachtingen passend bij de leeftijd van kind [?]", "", 6162, "unknown"),
    ("41", 6537): ("Complimenten, beschrijving en reflecties door ouder op gedrag kind [?]", "", 6538, "unknown"),
    ("42", 6565): ("Hulp bij bestrijding armoede voor lage SES gezinnen in interventie [?]", "", 6566, "unknown"),
    ("44", 6704): ("Cognitieve ontwikkelingsachterstand tijdens de kleuterschool [?]", "", 6705, "unknown"),
    ("44", 6708): (
        "Cognitieve veerkracht van kinderen bij niet-optimale biologische en gedragsomstandigheden [?] (kleuterschool)",
        "",
        6709,
        "unknown",
    ),
    # the design ran into the first statement ("RCT ...")
    ("6", 4936): ("Kennis over opvoeding [?]", "", 4936, "unknown"),
    ("13", 5286): (
        "Gezinnen die programma voltooiden hadden hoger inkomen en hoger opleidingsniveau dan drop-outs",
        "",
        5287,
        "unknown",
    ),
    ("19", 5599): (
        "Er werd geen interventie-effect gevonden na 12 maanden en na 18 maanden follow-up en geen significante "
        "verschillen tussen de interventiegroep en de controlegroep.",
        "",
        5601,
        "none",
    ),
    ("21", 5723): ("Steun door partner [?]", "", 5723, "unknown"),
    ("22", 5772): ("Betrokkenheid moeder bij kind [?]", "", 5772, "unknown"),
    ("23", 5800): ("Antisociaal en hyperactief gedrag kind [?]", "", 5800, "unknown"),
    ("28", 6020): ("Psychomotorische ontwikkeling kind na 6 en 18 maanden [?]", "", 6020, "unknown"),
    ("30", 6089): ("Betrokkenheid moeder [?]", "", 6089, "unknown"),
    ("47", 6875): ("Kennis opvoeding [?]", "", 6875, "unknown"),
    # subgroup headings (dropped in the first coding)
    ("46", 6833): ("Ouderlijk toezicht [?]", "Voor gezinnen met een hoog risico:", 6833, "unknown"),
    ("46", 6838): (
        "Gedrag [?]",
        "Voor kinderen met een hoog risico (hoge scores sociale problemen bij 0-meting):",
        6838,
        "unknown",
    ),
    ("46", 6762): ("Leesvaardigheid [?]", "", 6762, "unknown"),
    ("30", 6094): (
        "Storend gedrag van kind [?]",
        "Voor moeders met een hoog/gemiddeld niveau van depressie:",
        6094,
        "unknown",
    ),
    ("30", 6096): ("Storend gedrag van kind [?]", "Voor moeders met een laag niveau van depressie:", 6096, "unknown"),
    ("15", 5383): (
        "Slechte geestelijke gezondheid [?]",
        "Voor gezinnen met meer dan 75% van de geplande bezoeken:",
        5383,
        "unknown",
    ),
    ("3 en 4", 4850): ("Sensitiviteit van de moeder [?]", "Na 12 maanden follow-up:", 4850, "unknown"),
    ("12", 5254): (
        "Depressie [?]",
        "Voor gezinnen met tenminste één kind onder schoolgaande leeftijd en op dit moment geen "
        "onbehandelde middelengebruik-stoornis:",
        5254,
        "unknown",
    ),
    ("24", 5870): (
        "Responsiviteit moeder [?]",
        "Voor moeders met een hoger risico (twee of meer risicofactoren):",
        5870,
        "unknown",
    ),
    ("35", 6296): (
        "Kindermishandeling of –verwaarlozing [?]",
        "Voor gezinnen die deelnamen aan eenmalige interventies:",
        6296,
        "unknown",
    ),
    ("39", 6464): ("Stress opvoeding [?]", "PCIT op kantoor (i.p.v. d.m.v. huisbezoeken):", 6464, "unknown"),
    ("20", 5658): (
        "Burgerlijke staat (getrouwd) [?]",
        "Effecten van interventie ten opzichte van reguliere zorg (en niet ten "
        "opzichte van programma met alleen financiële prikkels):",
        5658,
        "unknown",
    ),
    # direction stated by the chapter text (4.4, lines 1380-1392) or by the statement's own words
    ("26", 5951): ("Contact met kinderbescherming na 36 maanden [?]", "", 5951, "positive"),
    ("26", 5949): ("Depressieve symptomen moeder na 12 maanden [?]", "", 5949, "none"),
    ("15", 5378): ("Er werd geen overall significant effect van het programma gevonden.", "", 5379, "none"),
    ("7", 4994): (
        "Kinderen van relatief meer sociaal achtergestelde gezinnen (tienermoeders, alleenstaande ouders, werkloze "
        "huishoudens) werden negatief beïnvloed door het leven in interventiegemeenschappen",
        "",
        4997,
        "negative",
    ),
}


def _statement(row, first):
    m = ES[(ES["row"] == row) & (ES["first_line"] == str(first))]
    assert len(m) == 1, (row, first, len(m))
    return m.iloc[0]


@pytest.mark.parametrize("key", list(SECOND_CODER), ids=[f"{r}@{n}" for r, n in SECOND_CODER])
def test_statement_matches_the_second_coder(key):
    text, heading, last, direction = SECOND_CODER[key]
    s = _statement(*key)
    assert s["statement"] == text
    assert s["subgroup_heading"] == heading
    assert int(s["last_line"]) == last
    assert s["direction"] == direction
    assert not s["statement"].startswith("RCT")


def test_second_coder_sample_is_large_enough():
    # cells checked: statement, heading, first line (by lookup), last line, direction
    assert len(SECOND_CODER) * 5 >= 60 + 100


def test_every_arrow_line_of_bijlage5_is_in_exactly_one_arrow_statement():
    lines = _lines(HOL)
    start = max(i for i, l in enumerate(lines) if "Bijlage 5  Overzicht" in l)
    end = max(i for i, l in enumerate(lines) if "Bijlage 6  Overzicht" in l)
    arrow_lines = {i + 1 for i in range(start, end) if "\ufffd" in lines[i]}
    arrows = ES[ES["kind"] == "arrow"]
    covered = {}
    for _, s in arrows.iterrows():
        for n in range(int(s["first_line"]), int(s["last_line"]) + 1):
            if n in arrow_lines:
                covered[n] = covered.get(n, 0) + 1
    assert set(covered) == arrow_lines
    assert set(covered.values()) == {1}
    # arrows per line = arrows per statement, summed
    n_arrows_seed = sum(lines[n - 1].count("\ufffd") for n in arrow_lines)
    assert n_arrows_seed == ES["statement"].str.count(re.escape("[?]")).sum()


def test_every_statement_and_heading_is_verbatim_in_its_seed_window():
    for _, s in ES.iterrows():
        skip = s["row"] in PAGE_BREAK_ROWS
        assert _in_window(HOL, s["statement"], int(s["first_line"]), int(s["last_line"]), skip), s["statement_id"]
        if s["subgroup_heading"]:
            a, b = map(int, s["heading_lines"].split("-"))
            assert _in_window(HOL, s["subgroup_heading"], a, b), s["statement_id"]
    for _, s in RS.iterrows():  # Bijlage 6 row 5 runs over a page break (lines 7113-7128)
        skip = s["row"] == "5"
        assert _in_window(HOL, s["statement"], int(s["first_line"]), int(s["last_line"]), skip), s["statement_id"]


def test_primary_studies_statements_come_from_the_long_table():
    for _, r in PS.iterrows():
        mine = ES[ES["row"] == r["row"]]
        assert int(r["n_effect_statements"]) == len(mine)
        for _, s in mine.iterrows():
            assert s["statement"] in r["effect_statements"]
            if s["subgroup_heading"]:
                assert f"{s['subgroup_heading']} {s['statement']}" in r["effect_statements"]
    # the example: row 27, the only study scoring 7
    r27 = PS[PS["row"] == "27"].iloc[0]
    assert r27["quality_score"] == "7"
    assert r27["effect_statements"] == "Recidive kindermishandeling of verwaarlozing (ziekenhuisdossiers) [?]"


def test_domains_of_the_plain_cases():
    # issue 12: "Probleemgedrag" is child behaviour, "Gedrag ouders" parenting
    s = _statement("33", 6195)
    assert s["statement"] == "Probleemgedrag [?]" and "child behaviour" in s["outcome_domains"].split(";")
    s = _statement("36", 6361)
    assert s["outcome"] == "Negatief gedrag ouders" and s["outcome_domains"] == "parenting"
    assert "child behaviour" in PS.loc[PS["row"] == "33", "effect_domains"].iloc[0].split(";")


# --- intensity (Bijlage 5 rows 5, 38, 47) ---------------------------------------------------------
@pytest.mark.parametrize(
    "row,col,want,text,first,last",
    [
        ("5", "total_sessions", "25", "25 huisbezoeken van ongeveer 1.5 uur", 4864, 4865),
        ("47", "total_sessions", "25", "25 bezoeken van 1 uur gedurende 9 maanden", 6842, 6879),
        ("38", "hours_per_week", "2", "twee uur per week", 6402, 6434),
    ],
)
def test_intensity_units(row, col, want, text, first, last):
    r = PS[PS["row"] == row].iloc[0]
    assert float(r[col]) == float(want)
    assert _in_window(HOL, text, first, last)
    assert r["contacts_per_month"] == "" and r["contacts_per_week"] == ""  # no frequency is stated
    if row in ("5", "47"):
        assert float(r["contacts_per_month_derived"]) == pytest.approx(25 / 9, abs=0.005)
        assert "total_sessions / total_period_months" in r["contacts_per_month_derived_formula"]
    else:
        assert r["contacts_per_month_derived"] == ""


# --- Bijlage 6: the 12 cells of the issue, read from the seed ---------------------------------------
REVIEWS = {
    (3, "population"): (
        "Ouders met kinderen jonger dan 4 jaar die sociaal achtergesteld zijn op het gebied van armoede, "
        "alleenstaand ouderschap of behoren tot een etnische minderheid.",
        7010,
        7013,
    ),
    (7, "population"): (
        "Gezinnen met normale opvoedingsstressoren, met als doel de stress te verlichten en het stimuleren "
        "van de capaciteit van ouders om kindermishandeling en verwaarlozing te voorkomen. Daarnaast gezinnen "
        "in crisis en met ernstig risico op kindermishandeling en verwaarlozing en die al bekend zijn bij de "
        "Kinderbescherming",
        7302,
        7309,
    ),
    (8, "population"): (
        "Moeders met kinderen van 0-6 jaar van sociaal achtergestelde hoog-risico gezinnen",
        7376,
        7377,
    ),
    (5, "designs_included"): (
        "RCTs, Quasi-exp and single group, repeated measures design",
        [(7101, 7106), (7125, 7126)],
        None,
    ),
    (6, "designs_included"): ("Prospectieve, gecontroleerde studies", [(7252, 7256)], None),
    (7, "interventions"): (
        "Gezinsgerichte interventies voor kindermishandeling en verwaarlozing: huisbezoeken, cognitieve "
        "gedragstherapie, groepstherapie en intensieve thuisbegeleiding om uithuisplaatsing te voorkomen",
        7294,
        7300,
    ),
}


@pytest.mark.parametrize("key", list(REVIEWS), ids=[f"{r}-{c}" for r, c in REVIEWS])
def test_review_cells_match_the_seed(key):
    row, col = key
    want, a, b = REVIEWS[key]
    got = RV[RV["row"] == str(row)].iloc[0][col]
    assert got == want
    if col != "designs_included":  # the designs cell is broken inside words in the seed
        assert _in_window(HOL, want, a, b)
    else:
        cell = " ".join(" ".join(_lines(HOL)[x - 1 : y]) for x, y in a)
        letters = re.sub(r"[^a-z]", "", cell.lower())
        assert re.sub(r"[^a-z]", "", want.lower()) in letters


def test_al_et_al_qualified_finding_in_full():
    al = RS[RS["review_id"] == "al2012"]
    by = {s["statement"]: s for _, s in al.iterrows()}
    assert by["Gezinsfunctioneren [?]"]["direction"] == "positive"  # section 4.9, lines 1706-1710
    mp = by["preventie van uithuisplaatsing [?]"]
    assert mp["subgroup_heading"] == "Voor multiprobleem gezinnen:" and mp["direction"] == "positive"  # NJI line 226
    km = by["Geen effect op de preventie van uithuisplaatsing"]
    assert km["subgroup_heading"] == "Voor gezinnen bekend met kindermishandeling en verwaarlozing:"
    assert km["direction"] == "none"
    assert "[?]" not in RV.loc[RV["row"] == "4", "findings_statements"].iloc[0].split(" | ")[1][:3]


def test_johnson_programme_names_are_kept():
    heads = set(RS.loc[RS["review_id"] == "johnson2008", "subgroup_heading"])
    for name in (
        "Project SafeCare voor ouders met jonge kinderen:",
        "Incredible Years BASIC program:",
        "Family Connections program",
        "Webster-Stratton’s ADVANCE program:",
        "Programma’s voor tienerouders:",
    ):
        assert name in heads


# --- findings: the claims the issue names, found in the seed by the regex route ------------------------
NAMED = {
    "caseload 5-10": ("holwerda2014", "5-10 gezinnen per fulltime professional", 3127, 3129),
    "several visits a week": (
        "holwerda2014",
        "waarbij in het eerste half jaar sprake is van meerdere bezoeken per week",
        3086,
        3088,
    ),
    "longer than half a year": ("holwerda2014", "en die langer duren dan een half jaar", 3027, 3029),
    "whole family at home": ("holwerda2014", "is gericht op het hele gezin/alle gezinsleden", 3094, 3094),
    "one family one plan": ("holwerda2014", "gaat uit van één gezin, één plan, één professional", 3111, 3111),
    "low SES": (
        "holwerda2014",
        "minder effect hebben bij respondenten met een lage sociaaleconomische status (18,77,79) of zelfs "
        "een negatief effect hebben in deze groep (11)",
        1593,
        1597,
    ),
    "NJI caseload": ("nji2020", "een lage caseload (minder dan tien cliënten per hulpverlener)", 83, 83),
    "NJI several times a week at home": (
        "nji2020",
        "meerdere keren per week contact tussen hulpverlener en gezin",
        162,
        162,
    ),
}


@pytest.mark.parametrize("name", list(NAMED))
def test_named_claims_are_in_the_findings_table(name):
    doc, phrase, a, b = NAMED[name]
    path = HOL if doc == "holwerda2014" else NJI
    assert _in_window(path, phrase, a, b)
    rows = FN[(FN["source_document"] == doc) & FN["claim_nl"].str.contains(phrase, regex=False)]
    assert len(rows) >= 1, name
    # the phrase may stand in more than one section (4.10 and 7.2 share bullets): one row covers these lines
    assert any(int(r["first_line"]) <= a and int(r["last_line"]) >= b for _, r in rows.iterrows()), name


def test_every_claim_is_verbatim_in_its_lines():
    for _, r in FN.iterrows():
        path = HOL if r["source_document"] == "holwerda2014" else NJI
        assert _in_window(path, r["claim_nl"], int(r["first_line"]), int(r["last_line"])), r["finding_id"]
        if r["strength_nl"]:
            a, b = map(int, r["strength_lines"].split("-"))
            assert _in_window(path, r["strength_nl"], a, b), r["finding_id"]


def test_low_ses_claims_are_negative_and_reviews_count_is_nine():
    low = FN[FN["claim_nl"].str.contains("lage sociaaleconomische status")]
    assert set(low["direction"]) >= {"negative"}
    nine = FN[FN["finding_id"] == "H-4.9-01"].iloc[0]
    assert nine["claim_nl"] == "Naast primaire studies zijn ook 9 relevante reviews gevonden."
    assert len(RV) == 9
