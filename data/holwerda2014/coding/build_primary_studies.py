"""Build data/holwerda2014/primary_studies.csv from Bijlage 5 of the seed text.

Run from the repository root:
    python data/holwerda2014/coding/build_primary_studies.py ../shared/seeds/003_169077222a0c6c24.txt

What is verbatim and what is coded:
- ``row_text``: the complete text of the table row (seed lines ``source_lines``), verbatim.
- ``effect_statements``: the statements of the row's effectiveness column from
  ``effect_statements.csv`` (built by ``build_effect_statements.py``: complete, with the
  subgroup heading written before a statement it applies to), joined by " | ".  Directions
  are in that table, not here.
- authors, year, country, design and the published quality score: read from the row
  (``CODED`` below gives each value as it stands in the seed; checked by eye).
- intervention type, organised by, focus, duration and contacts per month: coded by
  reading the row (``CODED``), with the seed's wording beside each in ``*_text``
  columns.  Every ``*_text`` cell is verbatim: the seed's words (whitespace normalised);
  where they stand in separate places of the row, the verbatim pieces are joined by "; "
  (checked below: every piece occurs in the row's text).  ``population_text`` is
  ``population_group`` and ``risk_profile`` joined so (for the rows the extraction broke, the
  verbatim pieces of ``POPULATION`` in population_outcomes.py).  Numbers only where the seed states them: weeks and days are converted to
  months (x 7 / 30.4375); "weekly" = 52/12 contacts per month, "every two weeks" = 26/12,
  "monthly" = 1; ranges, "at least", varying schedules, totals over a period and hours are
  not a stated frequency and are left empty there (see ``INTENSITY``).
- ``contacts_per_week`` is the same stated frequency per week (x 12/52).  ``caseload``
  (families per worker) is a column of its own but empty: Bijlage 5 states it for no row.
- population (who, risk profile, child age in years) and the outcome measures as a list of
  verbatim items: ``population_outcomes.py`` (cells of the row; the rows the extraction broke
  are coded by hand there, with a ``coding_note``).
- ``outcome_domains``: the written dictionary (``evsynth.review.domains``,
  ``outcome_domain_dictionary.csv``) applied to the outcome measures listed, plus the
  ``effect_domains``.  ``effect_domains``: the domains of the row's statements in
  ``effect_statements.csv`` (arrow statements and statements with a coded direction; coder
  decisions listed in ``coding_log.csv``).  The population column is not coded.
- intensity: ``INTENSITY`` below (hours per week, totals over a period, session length, and a
  derived rate with its formula, each apart from the stated frequency).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))
from evsynth.review.domains import DOMAINS, domains_of  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from population_outcomes import POPULATION, code_row  # noqa: E402
from build_effect_statements import build as build_statements  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from coding_common import cli_args, write_rows  # noqa: E402

WEEK = 7 / 30.4375
WEEKLY, BIWEEKLY, MONTHLY = 52 / 12, 26 / 12, 1.0

COUNTRY = {"Australië": "Australia", "Verenigde Staten": "United States", "Verenigd Koninkrijk": "United Kingdom",
           "Hawaii": "United States", "Nieuw Zeeland": "New Zealand", "Canada": "Canada", "Tenerife": "Spain"}

# row: (article_ids, intervention, authors, year(s), country_text, design, score, type, organised_by,
#       organised_text, duration_months, duration_text, contacts_per_month, intensity_text, population_text)
CODED = {
    1: ("1", "Early home-based intervention by child health nurse", "Armstrong et al.", "2000", "Australië", "RCT", 2,
        "home visiting", "", "", 6, "Wekelijks tot 6 weken, 2-wekelijks tot 3 maanden, maandelijks tot 6 maanden na de bevalling",
        None, "Wekelijks tot 6 weken, 2-wekelijks tot 3 maanden, maandelijks tot 6 maanden; + Wekelijkse casusbespreking",
        "Gezinnen met baby (0-6 maanden)"),
    2: ("2", "Hawaii Healthy Start Home Visitation Program", "Bair-Merritt et al.", "2010", "Hawaii", "RCT", 3,
        "home visiting", "", "", None, "Tenminste drie jaar lang met afnemende intensiteit vanaf de geboorte", None,
        "afnemende intensiteit", "Gezinnen met baby's; met hoog risico op kindermishandeling"),
    3: ("3;4", "Family Partnership Model", "Barlow et al. / McIntosh et al.", "2007;2009", "Verenigd Koninkrijk", "RCT", 4,
        "home visiting", "agency", "Georganiseerd door instantie", 18,
        "Gedurende 18 maanden wekelijkse bezoeken vanaf 6 maanden voor de geboorte tot 12 maanden na de geboorte",
        WEEKLY, "wekelijkse bezoeken", "Zwangere vrouwen met baby's; met risico op kindermishandeling"),
    5: ("5", "Paraprofessional delivered Home-Visiting Intervention modeled on Healthy Families America", "Barlow et al.",
        "2006", "Verenigde Staten", "RCT", 3, "home visiting", "", "", 9,
        "vanaf 28e week van de zwangerschap tot 6 maanden na de geboorte (ongeveer 9 maanden in totaal)", None,
        "25 huisbezoeken van ongeveer 1.5 uur en 41 afzonderlijke lessen",
        "Zwangere Amerikaans-Indische adolescenten van 12-19 jaar + baby van 0-6 maanden"),
    6: ("6", "Family Spirit, a paraprofessional-delivered, home-visiting pregnancy and early childhood intervention",
        "Barlow et al.", "2013", "Verenigde Staten", "RCT", None, "home visiting", "", "", None, "", None,
        "Huisbezoeken door semi-professional", "Amerikaans-Indische tienermoeders en baby's"),
    7: ("7", "Sure Start local programmes", "Belsky et al.", "2006", "Verenigd Koninkrijk", "quasi-experimental", 2,
        "neighbourhood programme", "neighbourhood", "Georganiseerd in de wijk", None, "Niet beschikbaar", None, "",
        "Moeders met kind van 9-36 maanden; levend in sociaal achtergestelde gemeenschappen"),
    8: ("8", "Specialist family support teams", "Biehal", "2008", "Verenigd Koninkrijk", "quasi-experimental", 1,
        "specialist family support team", "agency", "Georganiseerd door instantie (doorverwezen)", 4.5,
        "Ongeveer 4,5 maanden", None, "Huisbezoeken?",
        "Gezinnen met kinderen 11-16 jaar; met dreigend risico van uithuisplaatsing"),
    9: ("9", "Families First Program", "Brandon & Connolly", "2006", "Verenigd Koninkrijk", "quasi-experimental", 0,
        "intensive family preservation", "", "", 28 / 30.4375,
        "4 weken durend intensief programma om uithuisplaatsing te voorkomen, in het algemeen met een duur van 28 dagen (zoals gepland)",
        None, "intensief programma", "Gezinnen met kinderen (leeftijdsgroep onbekend); met risico op uithuisplaatsing"),
    10: ("10", "Healthy Families Alaska (HFAK), voluntary, paraprofessional home visiting program", "Caldera et al.",
         "2007", "Verenigde Staten", "RCT", 3, "home visiting", "", "", None, "", None,
         "Bezoeken gemiddeld elke 2-3 weken",
         "Gezinnen met kind van 0-2 jaar; risicogezinnen met veel beïnvloedbare risico's op kindermishandeling"),
    11: ("11", "SafeCare Home-based Services", "Chaffin et al.", "2012", "Verenigde Staten", "RCT", 4,
         "home visiting", "", "", 6, "Wekelijks bezoek gedurende 6 maanden", WEEKLY, "Wekelijks bezoek",
         "Ouder met kind tot 12 jaar; sprake van kindermishandeling; doorverwezen door de kinderbescherming"),
    12: ("12", "SafeCare Home-based Services", "Chaffin et al.", "2012", "Verenigde Staten", "RCT", 4,
         "home visiting", "", "", 6, "Wekelijks bezoek gedurende 6 maanden", WEEKLY, "Wekelijks bezoek",
         "Amerikaans-Indiaanse zorgverleners met kind tot 12 jaar; sprake van kindermishandeling"),
    13: ("13", "Urban home visitation with group meetings", "Constantino et al.", "2001", "Verenigde Staten", "RCT", None,
         "home visiting", "neighbourhood", "Georganiseerd in de wijk", None, "10 sessies in 10 weken/ 10 sessies in 20 weken",
         None, "10 sessies in 10 weken/ 10 sessies in 20 weken", "Ouders met baby's van 3-18 maanden"),
    14: ("14", "Healthy Start Program", "Duggan et al.", "2004", "Verenigde Staten", "RCT", 4, "home visiting", "", "",
         None, "Voor 3–5 jaar", None, "", "Gezinnen nog niet in contact met de kinderbescherming; met risico op kindermishandeling en verwaarlozing"),
    15: ("15", "Healthy Start home visiting program", "Duggan et al.", "2004", "Verenigde Staten", "RCT", 5,
         "home visiting", "neighbourhood", "Georganiseerd in de wijk", None, "Voor 3–5 jaar", None, "",
         "Gezinnen van pasgeborenen; met risico op kindermishandeling en verwaarlozing"),
    16: ("16", "Healthy Families Alaska (HFAK) programs", "Duggan et al.", "2007", "Verenigde Staten", "RCT", 4,
         "home visiting", "", "", None, "Voor 3–5 jaar", None, "", "Gezinnen (leeftijd onbekend); met risico op kindermishandeling"),
    17: ("17", "Early Start Program", "Fergusson et al.", "2005", "Nieuw Zeeland", "RCT", 4, "home visiting", "", "",
         None, "Wekelijkse bezoeken gedurende een maand; werd de volledige interventie aangeboden gedurende de kleuterschool jaren van het kind",
         None, "Wekelijkse bezoeken gedurende een maand", "Gezinnen met baby"),
    18: ("18", "Early Start Program", "Fergusson et al.", "2006", "Nieuw Zeeland", "RCT", 2, "home visiting", "", "",
         None, "Tijdens de jaren van de kleuterschool", None, "", "Gezinnen met baby; tenminste twee risicofactoren"),
    19: ("19", "Home-visiting intervention by child health nurses", "Fraser et al.", "2000", "Australië", "RCT", None,
         "home visiting", "", "", 12,
         "Wekelijkse bezoeken gedurende de eerste zes weken, 2-wekelijkse bezoeken tot drie maanden, maandelijkse bezoeken tot 12 maanden",
         None, "Bezoeken duren 20-60 minuten", "Gezinnen met baby van 0-18 maanden"),
    20: ("20", "Minnesota Family Investment Program (experimental welfare program with financial incentives and employment & training mandates)",
         "Gennetian & Miller", "2002", "Verenigde Staten", "RCT", 0, "basic needs/poverty", "", "", None,
         "Niet beschikbaar", None, "Onbekend",
         "Alleenstaande moeders die langdurig een uitkering ontvangen met kind van 2-9 jaar"),
    21: ("21", "UCLA home visiting/mother–infant group intervention", "Heinicke et al.", "2001", "Verenigde Staten", "RCT",
         None, "home visiting", "", "", None,
         "Wekelijks 60 minuten durende huisbezoeken aan het eind van de zwangerschap en het eerste jaar, om de week in het tweede jaar, en telefonisch en follow-up contacten in het derde en vierde jaar",
         None, "Huisbezoeken + wekelijkse moeder– kind (3 tot 15 maanden) groepsbijeenkomst; Gemiddeld aantal groepsbijeenkomsten: 17 (range 0 tot 43)",
         "Moeders met kind 0-2 jaar; met minimaal vier van twaalf risicofactoren"),
    22: ("22", "Webster-Stratton parenting program", "Hughes & Gottlieb", "2004", "Canada", "RCT", None,
         "parenting programme", "", "", 8 * WEEK, "Kleine groepsbijeenkomsten van 2 uur gedurende 8 weken", None,
         "Kleine groepsbijeenkomsten van 2 uur", "Gezinnen met kind van 3-8 jaar; in contact met de kinderbescherming en met een hoog risico op kindermishandeling"),
    23: ("23", "Webster-Stratton Incredible Years basic Parenting intervention", "Hutchings et al.", "2007",
         "Verenigd Koninkrijk", "RCT", None, "parenting programme", "", "", 12 * WEEK,
         "12 wekelijkse bijeenkomsten van 2 tot 2.5 uur", WEEKLY, "12 wekelijkse bijeenkomsten van 2 tot 2.5 uur",
         "Gezinnen met kind van 3-5 jaar; met risico op gedragsproblemen; met sociale en economische achterstand"),
    24: ("24", "Miller Early Childhood Sustained Homevisiting (MECSH) programme", "Kemp et al.", "2011", "Australië",
         "RCT", 4, "home visiting", "", "", None, "vanaf voor de geboorte en voortgezet tot de leeftijd van 2 jaar", None,
         "Gemiddeld 16.3 (range 0–52) bezoeken met een duur van 60–90 minuten", "Risicomoeders met baby"),
    25: ("25", "Families First", "Lewis", "2005", "Verenigde Staten", "RCT", 2, "intensive family preservation", "", "",
         6 * WEEK, "Voor 6 weken, 15 uur/week", None, "15 uur/week",
         "Gezinnen met kind; met ernstige problemen in functioneren kind; met een laag inkomen"),
    26: ("26", "Child FIRST (Child and Family Interagency, Resource, Support, and Training)", "Lowell et al.", "2011",
         "Verenigde Staten", "RCT", 4, "home visiting", "", "", None, "Niet beschikbaar", None, "",
         "Moeders met kind van 6-36 maanden; met sociaal-emotionele en/of gedragsproblemen; met psychosociale risico's"),
    27: ("27", "Standard treatment plus home visitation by a public-health nurse", "Mc Millan et al.", "2005", "Canada",
         "RCT", 7, "home visiting", "", "", 24,
         "Wekelijkse bezoeken gedurende 6 maanden, vervolgens elke 2 weken gedurende 6 maanden, en tenslotte maandelijkse bezoeken voor 12 maanden",
         None, "Wekelijkse bezoeken gedurende 6 maanden, vervolgens elke 2 weken gedurende 6 maanden, en tenslotte maandelijkse bezoeken voor 12 maanden", "Gezinnen met kind jonger 13 jaar; met kindermishandeling"),
    28: ("28", "Home-based early intervention", "Nair et al.", "2003", "Verenigde Staten", "RCT", None, "home visiting",
         "", "", None, "Wekelijks van 0-6 maanden en 2-wekelijks van 6 tot 18 maanden met een uitloop tot maximaal 24 maanden",
         None, "", "Vrouw met kind; middelenmisbruik"),
    29: ("29", "Aftercare services Intensive Family Preservation Program", "Nelson & Nash", "2008", "Verenigde Staten",
         "RCT", 1, "intensive family preservation", "", "", None, "range 37-482 dagen, mediaan 141 dagen", None,
         "Persoonlijk contact dat geleidelijk vermindert van 3 uur per week tot 1 uur per maand; wekelijkse steungroep voor ouder",
         "Amerikaans-Afrikaanse of gemengde gezinnen met kind van 11 jaar of jonger"),
    30: ("30", "Family Check Up", "Shaw et al.", "2006", "Verenigde Staten", "RCT", None, "home visiting", "", "", None,
         "", None, "3 sessies gebaseerd op motivational interviewing", "Gezinnen met zoon van 17-27 maanden"),
    31: ("31", "SafeCare+ (SC+) + Motivational Interviewing", "Silovsky et al.", "2011", "Verenigde Staten", "RCT", 5,
         "home visiting", "", "", None, "Niet beschikbaar", None, "", "Ouders met kind jonger dan 5 jaar"),
    32: ("32", "Cottage Community Care Pilot Project", "Kelleher & Johnson", "2004", "Australië", "quasi-experimental", 1,
         "home visiting", "agency", "Georganiseerd vanuit instantie + wekelijkse steungroep in centrum", None,
         "Wekelijkse huisbezoeken in eerste jaar, afgebouwd naar 2-wekelijks, maandelijks en driemaandelijkse bezoeken tot de leeftijd van 3 jaar",
         None, "Wekelijkse huisbezoeken in eerste jaar, afgebouwd naar 2-wekelijks, maandelijks en driemaandelijkse bezoeken", "Kwetsbare moeders met eerste kind"),
    33: ("33", "Family Check-Up based on motivational interviewing", "Connell et al.", "2008", "Verenigde Staten", "RCT",
         3, "home visiting", "family home", "Georganiseerd in het gezin", None, "", None, "3 sessies",
         "Gezinnen met peuters van 2 tot 3 jaar; economisch achtergesteld"),
    34: ("34", "Comprehensive Child Development Program", "Goodson et al.", "2000", "Verenigde Staten", "RCT", 5,
         "case management", "", "", 60, "over een periode van 5 jaar", BIWEEKLY,
         "2-wekelijkse huisbezoeken van 30 tot 90 minuten", "Gezinnen met kinderen van 0-1 jaar; met een inkomen onder de armoedegrens"),
    35: ("35", "Family Preservation and Family Support (FPFS) programs", "Chaffin et al.", "2001", "Verenigde Staten",
         "RCT", 3, "mixed (family preservation and support)", "agency; neighbourhood",
         "preventieve activiteiten georganiseerd in de wijk; Georganiseerd door instantie", None, "Onbekend", None, "",
         "Cliënten met kinderen; met een laag inkomen en gemiddeld tot hoog risico op kindermishandeling"),
    36: ("36", "(Enhanced) Parent–Child Interaction Therapy", "Chaffin et al.", "2004", "Verenigde Staten", "RCT", 4,
         "parenting programme", "agency", "Georganiseerd door instantie (doorverwezen)", None, "", None,
         "6 oriëntatie sessies + 12-14 interventie sessies + 4 follow-up sessies", "Ouders die hun kind fysiek mishandelen"),
    37: ("37", "Combined Motivation and Parent–Child Interaction Therapy Package", "Chaffin et al.", "2011",
         "Verenigde Staten", "RCT", 6, "parenting programme", "agency", "Groepsbijeenkomsten georganiseerd door instantie",
         None, "", None, "12–14 sessies + gericht op zelfmotivatie", "Zorgverleners met kind van 2,5 tot 12 jaar; met kindermishandeling"),
    38: ("38", "Peer led parenting intervention", "Day et al.", "2012", "Verenigd Koninkrijk", "RCT", 5,
         "parenting programme", "agency", "Groepsbijeenkomsten georganiseerd door instantie van 7-14 ouders, wijkgericht",
         8 * WEEK, "Voor acht weken (twee uur per week)", None, "twee uur per week",
         "Zorgverleners met kind van 2 -11 jaar; levend in economisch en sociaal achterstandsgebied"),
    39: ("39", "Parent-Child Interaction Therapy", "Lanier et al.", "2011", "Verenigde Staten", "quasi-experimental", 1,
         "parenting programme", "family home", "Huisbezoeken (t.o.v. op kantoor van instantie)", None, "Voor 12 - 14 weken",
         None, "", "Gezinnen met kind(eren); met emotionele mishandeling/ fysieke mishandeling/ fysieke verwaarlozing"),
    40: ("40", "Parent–Child Interaction Therapy", "Thomas & Zimmer-Gembeck", "2011", "Australië", "RCT", 3,
         "parenting programme", "agency", "Oudertraining op kantoor van instantie", None, "", None,
         "Gemiddeld 11.8 CDI coachingsessies en 5.07 PDI coachingsessies", "Moeders met kind van 2-8 jaar; met kindermishandeling"),
    41: ("41", "Parent–Child Interaction Therapy", "Thomas & Zimmer-Gembeck", "2012", "Australië", "RCT", 6,
         "parenting programme", "agency", "Op kantoor van instantie", None, "", None,
         "In S/PCIT 12 coachingsessies voor iedereen ongeacht bekwaamheid", "Zorgverleners met kinderen; met kindermishandeling"),
    42: ("42", "Anti-poverty services", "Loman & Siegel", "2012", "Verenigde Staten", "RCT", 3, "basic needs/poverty", "",
         "", None, "Niet beschikbaar", None, "Huisbezoeken", "Gezinnen; met kindermishandeling; met armoede"),
    43: ("43", "Better Beginnings, Better Futures Project", "Peters et al.", "2003", "Canada", "quasi-experimental", 0,
         "school/preschool", "school", "Vanuit school georganiseerd gecombineerd met huisbezoeken en activiteiten in de wijk",
         None, "Niet beschikbaar", None, "", "Gezinnen met kind van 4 - 8 jaar; levend in achterstandswijk; met armoede"),
    44: ("44", "Abecedarian Early Childhood Education Project", "Ramey et al.", "2000", "Verenigde Staten", "RCT", 1,
         "school/preschool", "school", "Vanuit school georganiseerd gecombineerd met huisbezoeken", 60, "Voor 5 jaar", None,
         "Kleuterschool en/of K–2 Opleidingsondersteuning", "Moeders met baby; met hoog risico"),
    45: ("45", "APF (Personal and Family Support program)", "Rodrigo et al.", "2006", "Tenerife", "quasi-experimental", 1,
         "parenting programme", "neighbourhood", "Georganiseerd in centrum in de wijk", None, "", None,
         "Vijf modules / 21 sessies", "Multiprobleem gezinnen"),
    46: ("46", "SAFEChildren multiple-family group approach + phonic-based reading tutoring program", "Tolan et al.",
         "2004", "Verenigde Staten", "RCT", 3, "multiple-family group", "neighbourhood", "Georganiseerd in de wijk",
         22 * WEEK, "wekelijks ontmoeten voor 22 weken", WEEKLY,
         "Groepsbijeenkomsten met verschillende gezinnen die elkaar wekelijks ontmoeten voor 22 weken, gecombineerd met 30 minuten bijlessen lezen tweemaal per week",
         "Gezinnen met een kind die naar de eerste klas van de lagere school gaat; binnenstedelijke, verarmde wijken"),
    47: ("47", "Family Spirit paraprofessional-delivered in-home Intervention", "Walkup et al.", "2009",
         "Verenigde Staten", "RCT", None, "home visiting", "", "", 9,
         "gedurende 9 maanden (3 maanden tijdens zwangerschap en 6 maanden na de geboorte)", None,
         "25 bezoeken van 1 uur gedurende 9 maanden",
         "Alleenstaande Amerikaans-Indiaanse (tiener)moeders van 12-22 jaar, wonend in een reservaat, met een eerste kind"),
}

# Intensity in its own units (issue 12): row -> {column: value}; every *_text is verbatim from the
# row.  contacts_per_month / contacts_per_week above hold only a frequency the row states
# ("wekelijks", "2-wekelijks"); a total over a period is not a frequency: it goes to
# total_sessions / total_period_months, and the rate derived from it to
# contacts_per_month_derived with its formula.  Hours per week are not contacts.
INTENSITY = {
    5: {"total_sessions": 25, "total_sessions_text": "25 huisbezoeken van ongeveer 1.5 uur", "session_hours": 1.5,
        "total_period_months": 9, "total_period_text": "ongeveer 9 maanden in totaal"},
    47: {"total_sessions": 25, "total_sessions_text": "25 bezoeken van 1 uur gedurende 9 maanden", "session_hours": 1,
         "total_period_months": 9, "total_period_text": "gedurende 9 maanden"},
    38: {"hours_per_week": 2, "hours_per_week_text": "twee uur per week"},
    25: {"hours_per_week": 15, "hours_per_week_text": "15 uur/week"},
    22: {"session_hours": 2, "total_period_months": 8 * WEEK, "total_period_text": "gedurende 8 weken"},
    23: {"total_sessions": 12, "total_sessions_text": "12 wekelijkse bijeenkomsten", "total_period_months": 12 * WEEK,
         "total_period_text": "12 wekelijkse bijeenkomsten"},
    13: {"total_sessions": 10, "total_sessions_text": "10 sessies in 10 weken/ 10 sessies in 20 weken"},
    30: {"total_sessions": 3, "total_sessions_text": "3 sessies"},
    33: {"total_sessions": 3, "total_sessions_text": "3 sessies"},
    41: {"total_sessions": 12, "total_sessions_text": "12 coachingsessies"},
    45: {"total_sessions": 21, "total_sessions_text": "21 sessies"},
}
INTENSITY_FIELDS = ["hours_per_week", "hours_per_week_text", "total_sessions", "total_sessions_text", "session_hours",
                    "total_period_months", "total_period_text", "contacts_per_month_derived",
                    "contacts_per_month_derived_formula"]


def intensity(r: int, cpm, text: str) -> dict:
    """The intensity columns of row r (see INTENSITY); a derived rate only where no frequency is stated
    and both a total and its period are."""
    d = dict(INTENSITY.get(r, {}))
    flat = re.sub(r"\s+", " ", text)
    for k, v in d.items():
        if k.endswith("_text"):
            assert v in flat, f"row {r}: {v!r} not in the seed row"
    out = {k: "" for k in INTENSITY_FIELDS}
    for k, v in d.items():
        out[k] = f"{v:.2f}" if isinstance(v, float) else v
    if cpm is None and d.get("total_sessions") and d.get("total_period_months"):
        out["contacts_per_month_derived"] = f"{d['total_sessions'] / d['total_period_months']:.2f}"
        out["contacts_per_month_derived_formula"] = (
            f"total_sessions / total_period_months = {d['total_sessions']} / {d['total_period_months']:g} "
            "(derived from a total over the period; the seed states no visit schedule)")
    return out


FOCUS = {"Gezondheid": "health", "Gedrag": "behaviour", "Onderwijs": "education", "Opleiding": "education",
         "Economisch": "economic", "Geestelijke gezondheid": "mental health"}

# outcome-domain keyword rules: evsynth.domains.DOMAIN_KEYWORDS (one definition for coding and templates)


def main(seed: str, out: str) -> None:
    here = Path(__file__).parent
    blocks = [json.loads(line) for line in subprocess.run(
        [sys.executable, str(here / "split_bijlage5.py"), seed], check=True, capture_output=True, text=True
    ).stdout.splitlines()]
    assert [b["row"] for b in blocks] == [1, 2, 3] + list(range(5, 48)), "unexpected row numbers"
    statements = {}
    for x in build_statements(seed):
        statements.setdefault(int(x["statement_id"][3:5]), []).append(x)
    fields = ["row", "article_ids", "n_articles", "study_id", "intervention", "authors", "year", "country",
              "country_text", "design", "quality_score", "intervention_type", "organised_by", "organised_text",
              "duration_months", "duration_text", "contacts_per_month", "contacts_per_week", "intensity_text",
              *INTENSITY_FIELDS, "caseload", "caseload_text", "focus", "population_text",
              "population_group", "risk_profile", "child_age_text", "child_age_min_years", "child_age_max_years",
              "outcome_measures", "n_outcome_measures", "outcome_domains", "effect_domains", "effect_statements", "n_effect_statements", "row_text", "coding_note", "source"]
    rows = []
    for b in blocks:
        r = b["row"]
        (ids, name, authors, year, ctext, design, score, itype, org, orgt, dur, durt, cpm, intt, pop) = CODED[r]
        text = b["text"]
        lines = [ln.strip() for ln in text.split("\n")]
        assert ctext in text, f"row {r}: country text not found"
        assert authors.split()[0].replace(".", "") in text.replace(".", ""), f"row {r}: authors not found"
        if score is not None:
            assert re.search(rf"(RCT|exp)\s*\n\s*{score}\s*\n", text + "\n") or re.search(rf"\n{score}\s*\n", text), f"row {r}: score"
        focus = sorted({FOCUS[ln] for ln in lines[:60] if ln in FOCUS},
                       key=list(FOCUS.values()).index)
        st = statements[r]
        effects = [(f"{x['subgroup_heading']} " if x["subgroup_heading"] else "") + x["statement"] for x in st]
        domains = [d for d in DOMAINS if any(d in x["outcome_domains"].split(";") for x in st)]
        po = code_row(r, text)
        first_year = year.split(";")[0]
        stem = "mcmillan" if authors.startswith("Mc Millan") else re.sub(r"[^a-z]", "", authors.split()[0].lower())
        sid = stem + first_year + {11: "a", 12: "b", 14: "a", 15: "b"}.get(r, "")
        rows.append({
            "row": "3 en 4" if r == 3 else str(r), "article_ids": ids, "n_articles": len(ids.split(";")),
            "study_id": sid, "intervention": name, "authors": authors, "year": year,
            "country": COUNTRY[ctext], "country_text": ctext, "design": design,
            "quality_score": "" if score is None else score, "intervention_type": itype, "organised_by": org,
            "organised_text": orgt, "duration_months": "" if dur is None else f"{dur:.2f}", "duration_text": durt,
            "contacts_per_month": "" if cpm is None else f"{cpm:.2f}",
            "contacts_per_week": "" if cpm is None else f"{cpm * 12 / 52:.2f}", "intensity_text": intt, **intensity(r, cpm, text),
            "caseload": "", "caseload_text": "",
            "focus": ";".join(focus),
            "population_text": "; ".join(x for x in ([y for p in POPULATION[r] for y in ((p,) if isinstance(p, str) else p)]
                                                     if r in POPULATION else (po["population_group"], po["risk_profile"])) if x),
            **po,
            "outcome_domains": ";".join(d for d in DOMAINS if d in set(domains_of(" | ".join(po["outcome_measures"].split(" | ")))) | set(domains)),
            "effect_domains": ";".join(domains),
            "effect_statements": " | ".join(effects), "n_effect_statements": len(effects),
            "row_text": re.sub(r"\n\s*\n+", "\n", text).replace("\ufffd", "[?]"),
            "source": f"Holwerda et al. (2014), Bijlage 5, row {'3 en 4' if r == 3 else r} (seed lines {b['first_line']}-{b['last_line']})",
        })
    for x in rows:  # every *_text piece is the seed's words
        flat_row = re.sub(r"\s+", " ", x["row_text"].replace("[?]", "\ufffd"))
        for k in fields:
            if k.endswith("_text") and k != "row_text" and x[k]:
                for piece in x[k].split("; "):
                    assert re.sub(r"\s+", " ", piece).strip() in flat_row, f"row {x['row']}, {k}: {piece!r} is not verbatim"
    write_rows(out, fields, rows)


if __name__ == "__main__":
    main(*cli_args("data/holwerda2014/primary_studies.csv"))
