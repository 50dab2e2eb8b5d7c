"""Build data/nji2020/interventions.csv, review_findings.csv and kv_categories.csv from the NJI
(2020) text (seed 000_d6eb5ec40b6ce6bc.txt).  Values are read from the lines cited in `source`;
sentences are verbatim (checked against the seed when the path is given).  Run from the
repository root:

    python -m coding.nji2020.build_nji ../shared/seeds/000_d6eb5ec40b6ce6bc.txt [OUTDIR]

(OUTDIR defaults to data/nji2020; without the seed path the tables are written but the
sentences are not checked against it).

interventions.csv
    ``group``: only a group the NJI text itself gives the intervention, with its lines in
    ``group_lines``: "IPT" (the IPT programmes of lines 236 and 263), "IPT (licht verstandelijke
    beperking)" (HouVast and Systeemgerichte Gezinscoaching, named for parents with a mild
    intellectual disability in the IPT paragraph, line 263), "behaviour-focused with family
    component" (lines 237 and 266), "families with a specific characteristic (mild intellectual
    disability)" (Klaassen-Vermaat et al.'s third group, line 238), "other" (line 268); "not
    stated" where the text gives none (a variant of a grouped programme is not grouped by it).
    ``evenboer_2018_conclusion``: only what the text says of this intervention (Families First
    and MST, line 253); the review-level sentence "Effectgroottes varieerden van klein tot groot"
    concerns all 11 interventions and is in data/findings/findings.csv (N-2-24), not copied
    into each row.  ``klaassen_vermaat_2015_max_effect`` is checked against kv_categories.csv.

kv_categories.csv
    Klaassen-Vermaat et al. (2015)'s own effect-size category for each intervention, as the NJI
    text lists it (lines 240-245): the reviewers' summary of mostly pre-post effect sizes (all
    but MST's, lines 247-251), not a pooled estimate.  One row per intervention and category
    (MDFT is listed in two); MDFT - LVG, included but placed in no category, has a row with an
    empty category."""

import csv
import sys
from pathlib import Path

from coding.common import DATA, seed_arg, write_rows

OUT = DATA / "nji2020"

SRC = "NJI (2020) Wat werkt, seed 000_d6eb5ec40b6ce6bc.txt"
KV = f"{SRC}, lines 232-245 (Klaassen-Vermaat et al., 2015)"
EV = f"{SRC}, line 253 (Evenboer et al., 2018)"
ER_IPT = f"{SRC}, line 263 (erkend, december 2019)"
ER_BEH = f"{SRC}, line 266 (erkend, december 2019)"
OTHER = f"{SRC}, line 268"

# name, group, erkend, kv_included, kv_max_effect, evenboer_included, evenboer_conclusion, rct_evidence, notes, source
ROWS = [
    (
        "Families First",
        "IPT",
        "yes",
        "yes",
        "large",
        "yes",
        "effect sizes consistently large across studies; studied only with pre- and post-measurements (less evidence than MST)",
        "no RCT noted (pre-post studies only, Evenboer et al. 2018)",
        "specifically for families in an acute crisis",
        f"{KV}; {EV}; {ER_IPT}",
    ),
    ("Families First – LVG", "not stated", "not stated", "yes", "large", "no", "", "", "", KV),
    ("Intensieve Ambulante Gezinsbehandeling (IAG)", "IPT", "yes", "no", "", "yes", "", "", "", f"{EV}; {ER_IPT}"),
    ("Gezin Centraal", "IPT", "yes", "yes", "large", "yes", "", "", "", f"{KV}; {EV}; {ER_IPT}"),
    (
        "HouVast",
        "IPT (licht verstandelijke beperking)",
        "yes",
        "no",
        "",
        "no",
        "",
        "",
        "for families with parents with a mild intellectual disability",
        ER_IPT,
    ),
    (
        "Systeemgerichte Gezinscoaching",
        "IPT (licht verstandelijke beperking)",
        "yes",
        "no",
        "",
        "no",
        "",
        "",
        "for families with parents with a mild intellectual disability",
        ER_IPT,
    ),
    ("Intensieve Orthopedagogische Gezinsbegeleiding (IOG)", "IPT", "not stated", "yes", "large", "no", "", "", "", KV),
    (
        "Intensieve Orthopedagogische Gezinsbegeleiding – Erger voorkomen",
        "not stated",
        "not stated",
        "yes",
        "medium",
        "no",
        "",
        "",
        "",
        KV,
    ),
    (
        "Intensieve Orthopedagogische Gezinsbegeleiding – LVG (IOG-LVG)",
        "families with a specific characteristic (mild intellectual disability)",
        "not stated",
        "yes",
        "medium",
        "no",
        "",
        "",
        "",
        KV,
    ),
    (
        "10 voor Toekomst",
        "IPT",
        "not stated",
        "yes",
        "none known",
        "yes",
        "",
        "",
        "Evenboer et al. name it '10 voor de toekomst'",
        f"{KV}; {EV}",
    ),
    (
        "Multisysteemtherapie (MST)",
        "behaviour-focused with family component",
        "yes",
        "yes",
        "medium",
        "yes",
        "effect sizes consistently large; more evidence than for Families First because studied in good RCTs",
        "RCTs (Klaassen-Vermaat et al. 2015: among the 4 of 23 RCT studies; Evenboer et al. 2018)",
        "Klaassen-Vermaat et al.: effect sizes up to large when only the experimental group's pre-post data are used",
        f"{KV}; {EV}; {ER_BEH}",
    ),
    (
        "Multidimensionele Familietherapie (MDFT)",
        "behaviour-focused with family component",
        "yes",
        "yes",
        "conflicting in source",
        "yes",
        "",
        "",
        "the NJI text lists MDFT both among interventions with no known effect size and among those reaching at most a medium effect",
        f"{KV}; {EV}; {ER_BEH}",
    ),
    (
        "Multidimensionele Familietherapie – LVG",
        "not stated",
        "not stated",
        "yes",
        "",
        "no",
        "",
        "",
        "not placed in an effect-size category in the NJI text",
        KV,
    ),
    (
        "Parent Management Training Oregon (PMTO)",
        "behaviour-focused with family component",
        "not stated",
        "yes",
        "large",
        "yes",
        "",
        "",
        "",
        f"{KV}; {EV}",
    ),
    (
        "Stepping Stones Triple P",
        "behaviour-focused with family component",
        "not stated",
        "yes",
        "none known",
        "yes",
        "",
        "RCT (Klaassen-Vermaat et al. 2015: among the 4 of 23 RCT studies)",
        "the group's list (line 237) names 'Triple P'; Stepping Stones Triple P is the only Triple P programme in Klaassen-Vermaat et al.'s list (line 232)",
        f"{KV}; {EV}",
    ),
    ("Triple P niveau 4-5", "not stated", "not stated", "no", "", "yes", "", "", "", EV),
    (
        "Functionele Familie Therapie (FFT)",
        "not stated",
        "not stated",
        "yes",
        "none known",
        "yes",
        "",
        "",
        "",
        f"{KV}; {EV}",
    ),
    (
        "Praktisch Pedagogische Gezinsbegeleiding (PPG) – intensieve variant",
        "not stated",
        "not stated",
        "yes",
        "small",
        "yes",
        "",
        "",
        "Evenboer et al. name it 'Praktische Pedagogische Gezinsbegeleiding (PPG)'",
        f"{KV}; {EV}",
    ),
    (
        "Parent Child Interaction Therapy (PCIT)",
        "behaviour-focused with family component",
        "yes",
        "no",
        "",
        "no",
        "",
        "",
        "",
        ER_BEH,
    ),
    ("Stop Nu Ander Plan (SNAP)", "behaviour-focused with family component", "yes", "no", "", "no", "", "", "", ER_BEH),
    (
        "NIKA",
        "other",
        "not stated",
        "no",
        "",
        "no",
        "",
        "",
        "listed as 'andersoortige programma's' in the section on recognised interventions; recognition not stated",
        OTHER,
    ),
    (
        "School2Care",
        "other",
        "not stated",
        "no",
        "",
        "no",
        "",
        "",
        "listed as 'andersoortige programma's' in the section on recognised interventions; recognition not stated",
        OTHER,
    ),
    (
        "Bemoezorg in de JGZ",
        "other",
        "not stated",
        "no",
        "",
        "no",
        "",
        "",
        "listed as 'andersoortige programma's' in the section on recognised interventions; recognition not stated",
        OTHER,
    ),
]

# intervention -> the lines that give its group (empty: the text gives none)
GROUP_LINES = {
    "Families First": "263",
    "Intensieve Ambulante Gezinsbehandeling (IAG)": "263",
    "Gezin Centraal": "236;263",
    "HouVast": "263",
    "Systeemgerichte Gezinscoaching": "263",
    "Intensieve Orthopedagogische Gezinsbegeleiding (IOG)": "236",
    "Intensieve Orthopedagogische Gezinsbegeleiding – LVG (IOG-LVG)": "238",
    "10 voor Toekomst": "236",
    "Multisysteemtherapie (MST)": "237;266",
    "Multidimensionele Familietherapie (MDFT)": "237;266",
    "Parent Management Training Oregon (PMTO)": "237",
    "Stepping Stones Triple P": "237",
    "Parent Child Interaction Therapy (PCIT)": "266",
    "Stop Nu Ander Plan (SNAP)": "266",
    "NIKA": "268",
    "School2Care": "268",
    "Bemoezorg in de JGZ": "268",
}

# Klaassen-Vermaat et al.'s categories (NJI lines 242-245): line, the bullet verbatim (without
# its dash), English label, value of interventions.csv's klaassen_vermaat_2015_max_effect, and the
# interventions of the bullet: (name as printed in the bullet, name of the interventions.csv row)
KV_CATEGORIES = [
    (
        242,
        "Van een viertal interventies geen effectgrootte bekend is (FFT, MDFT, Stepping Stones, 10 voor Toekomst)",
        "no effect size known",
        "none known",
        [
            ("FFT", "Functionele Familie Therapie (FFT)"),
            ("MDFT", "Multidimensionele Familietherapie (MDFT)"),
            ("Stepping Stones", "Stepping Stones Triple P"),
            ("10 voor Toekomst", "10 voor Toekomst"),
        ],
    ),
    (
        243,
        "Eén interventie niet hoger uitkomt dan een klein effect (PPG)",
        "at most a small effect",
        "small",
        [("PPG", "Praktisch Pedagogische Gezinsbegeleiding (PPG) – intensieve variant")],
    ),
    (
        244,
        "Vier interventies maximaal een middelgroot effect halen (MST, IOG- erger voorkomen, IOG-LVG en MDFT)",
        "at most a medium effect",
        "medium",
        [
            ("MST", "Multisysteemtherapie (MST)"),
            ("IOG- erger voorkomen", "Intensieve Orthopedagogische Gezinsbegeleiding – Erger voorkomen"),
            ("IOG-LVG", "Intensieve Orthopedagogische Gezinsbegeleiding – LVG (IOG-LVG)"),
            ("MDFT", "Multidimensionele Familietherapie (MDFT)"),
        ],
    ),
    (
        245,
        "Vijf interventies maximaal een groot effect halen (IOG, PMTO, Gezin Centraal, Families First, en Families First – LVG)",
        "at most a large effect",
        "large",
        [
            ("IOG", "Intensieve Orthopedagogische Gezinsbegeleiding (IOG)"),
            ("PMTO", "Parent Management Training Oregon (PMTO)"),
            ("Gezin Centraal", "Gezin Centraal"),
            ("Families First", "Families First"),
            ("Families First – LVG", "Families First – LVG"),
        ],
    ),
]
KV_BASIS = (
    "the reviewers' own summary (Klaassen-Vermaat et al., 2015, as reported by NJI 2020), not a pooled estimate: "
    "all effect sizes but MST's are pre-test/post-test and may partly reflect spontaneous recovery (lines 247-251)"
)
KV_FIELDS = ["intervention", "name_in_source", "category", "category_nl", "first_line", "last_line", "basis", "source"]


def kv_rows() -> list[dict]:
    out = []
    for line, nl, en, _, items in KV_CATEGORIES:
        for short, name in items:
            out.append(
                {
                    "intervention": name,
                    "name_in_source": short,
                    "category": en,
                    "category_nl": nl,
                    "first_line": line,
                    "last_line": line,
                    "basis": KV_BASIS,
                    "source": f"{SRC}, line {line}",
                }
            )
    out.append(
        {
            "intervention": "Multidimensionele Familietherapie – LVG",
            "name_in_source": "Multidimensionele Familiotherapie – LVG",
            "category": "",
            "category_nl": "",
            "first_line": 232,
            "last_line": 232,
            "basis": "included by Klaassen-Vermaat et al. (line 232) but placed in none of the four categories (lines 242-245)",
            "source": f"{SRC}, line 232",
        }
    )
    return out


def check_kv_max_effect() -> None:
    """interventions.csv's klaassen_vermaat_2015_max_effect agrees with the categories."""
    cats: dict[str, set] = {}
    for _, _, _, value, items in KV_CATEGORIES:
        for _, name in items:
            cats.setdefault(name, set()).add(value)
    for r in ROWS:
        want = cats.get(r[0], set())
        got = r[4]
        expect = "" if not want else (next(iter(want)) if len(want) == 1 else "conflicting in source")
        assert got == expect, (r[0], got, expect)
        assert (r[3] == "yes") == (r[0] in cats or r[0] == "Multidimensionele Familietherapie – LVG"), r[0]


# review, finding, value, value_low, value_high, unit, sentence (verbatim), line
FINDINGS = [
    (
        "Veerman, Janssens & Delicat (2005)",
        "IPT forms studied in the meta-analysis",
        17,
        None,
        None,
        "programmes",
        "In een meta-analyse van Veerman, Janssens en Delicat (2005), werden zeventien vormen van Intensieve Pedagogische Thuishulp (IPT) in Nederland onderzocht.",
        224,
    ),
    (
        "Al et al. (2012)",
        "foreign effect studies included, all with a control group",
        20,
        None,
        None,
        "studies",
        "In totaal namen zij twintig buitenlandse effectstudies mee, allen met een controlegroep.",
        226,
    ),
    (
        "Al et al. (2012)",
        "studies reporting family functioning",
        3,
        None,
        None,
        "studies",
        "Kanttekening is dat alle studies als uitkomstmaat uithuisplaatsing hadden, terwijl slechts drie studies informatie gaven over het functioneren van het gezin.",
        226,
    ),
    (
        "Al et al. (2012)",
        "studies specifically on families with multiple and complex problems",
        12,
        None,
        None,
        "studies",
        "In twaalf van deze studies betrof de doelgroep specifiek gezinnen met meervoudige en complexe problemen.",
        226,
    ),
    (
        "Klaassen-Vermaat et al. (2015)",
        "articles included",
        23,
        None,
        None,
        "articles",
        "Zij namen 23 artikelen in hun overzichtsstudie op waarin veertien interventies werden onderzocht",
        232,
    ),
    (
        "Klaassen-Vermaat et al. (2015)",
        "interventions studied",
        14,
        None,
        None,
        "interventions",
        "Zij namen 23 artikelen in hun overzichtsstudie op waarin veertien interventies werden onderzocht",
        232,
    ),
    (
        "Klaassen-Vermaat et al. (2015)",
        "studies using an RCT",
        4,
        None,
        None,
        "studies (of 23)",
        "In slechts 4 van de 23 studies werd gebruik gemaakt van een RCT.",
        234,
    ),
    (
        "Evenboer et al. (2018)",
        "studies found",
        26,
        None,
        None,
        "studies",
        "Zij zochten naar studies die gepubliceerd waren tussen januari 2005 en april 2017 en vonden 26 studies naar 11 interventies",
        253,
    ),
    (
        "Evenboer et al. (2018)",
        "interventions studied",
        11,
        None,
        None,
        "interventions",
        "Zij zochten naar studies die gepubliceerd waren tussen januari 2005 en april 2017 en vonden 26 studies naar 11 interventies",
        253,
    ),
    (
        "Van Assen, Knot-Dickscheit, Post & Grietens (2019)",
        "publications found",
        8377,
        None,
        None,
        "publications",
        "In totaal werden 8377 publicaties gevonden, waarvan uiteindelijk 47 publicaties werden opgenomen",
        255,
    ),
    (
        "Van Assen, Knot-Dickscheit, Post & Grietens (2019)",
        "publications included",
        47,
        None,
        None,
        "publications",
        "In totaal werden 8377 publicaties gevonden, waarvan uiteindelijk 47 publicaties werden opgenomen",
        255,
    ),
    (
        "Van Assen, Knot-Dickscheit, Post & Grietens (2019)",
        "reduction of stress in children across studies (Cohen's d range)",
        None,
        0.19,
        1.19,
        "Cohen's d",
        "zo varieert de afname van stress bij kinderen tussen onderzoeken van een kleine afname tot een zeer grote afname (Cohen's $d = 0.19-1.19$)",
        255,
    ),
    (
        "Van Assen, Knot-Dickscheit, Post & Grietens (2019)",
        "recidivism of child maltreatment, lowest study (Huebner et al., 2008)",
        6.5,
        None,
        None,
        "% of families",
        "zo vindt één onderzoek bij slechts 6,5% van de gezinnen recidive (Huebner et al., 2008)",
        255,
    ),
    (
        "Van Assen, Knot-Dickscheit, Post & Grietens (2019)",
        "recidivism of child maltreatment, highest study (Chaffin, Bard, Hecht & Silovsky, 2011)",
        40,
        None,
        None,
        "% of families",
        "terwijl een ander onderzoek recidive vindt bij 40% van de gezinnen (Chaffin, Bard, Hecht en Silovsky, 2011)",
        255,
    ),
    (
        "Van Assen, Knot-Dickscheit, Post & Grietens (2019)",
        "children placed out of home at closure of IPT (average; 'ruim' = somewhat over)",
        9,
        None,
        None,
        "% of children",
        "Bij afsluiting van IPT blijkt dat gemiddeld ruim 9% van de kinderen uit huis geplaatst is.",
        255,
    ),
    (
        "Van Assen, Knot-Dickscheit, Post & Grietens (2019)",
        "children placed out of home six months after closure (average)",
        15,
        None,
        None,
        "% of children",
        "Een half jaar na afsluiting is gemiddeld 15% van de kinderen uit huis geplaatst",
        255,
    ),
    (
        "Van Assen, Knot-Dickscheit, Post & Grietens (2019)",
        "children placed out of home one year after closure (average; 'bijna' = almost)",
        21,
        None,
        None,
        "% of children",
        "een jaar na afsluiting is dit bijna 21%.",
        255,
    ),
]


def main(seed=None, outdir=OUT):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    text = open(seed, encoding="utf-8").read().split("\n") if seed else None
    check_kv_max_effect()
    for r in ROWS:
        assert (r[1] == "not stated") == (r[0] not in GROUP_LINES), r[0]
    with open(outdir / "interventions.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "intervention",
                "group",
                "erkend_dec2019",
                "klaassen_vermaat_2015_included",
                "klaassen_vermaat_2015_max_effect",
                "evenboer_2018_included",
                "evenboer_2018_conclusion",
                "rct_evidence",
                "notes",
                "group_lines",
                "source",
            ]
        )
        w.writerows([(*r[:-1], GROUP_LINES.get(r[0], ""), r[-1]) for r in ROWS])
    kv = kv_rows()
    if text is not None:
        for r in kv:
            assert r["category_nl"] in text[r["first_line"] - 1] and r["name_in_source"] in text[r["first_line"] - 1], r
    write_rows(outdir / "kv_categories.csv", KV_FIELDS, kv)
    with open(outdir / "review_findings.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["review", "finding", "value", "value_low", "value_high", "unit", "sentence", "source"])
        for rev, fnd, v, lo, hi, unit, sent, line in FINDINGS:
            if text is not None:
                assert sent in text[line - 1], (line, sent[:40])
            w.writerow(
                [
                    rev,
                    fnd,
                    "" if v is None else v,
                    "" if lo is None else lo,
                    "" if hi is None else hi,
                    unit,
                    sent,
                    f"{SRC}, line {line}",
                ]
            )


if __name__ == "__main__":
    main(*([seed_arg(sys.argv[1])] if len(sys.argv) > 1 else []), *sys.argv[2:3])
