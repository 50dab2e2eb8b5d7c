"""Build data/holwerda2014/primary_studies.csv from Bijlage 5 of the seed text.

Run from the repository root:

    python -m coding.holwerda2014.build_primary_studies ../shared/seeds/003_169077222a0c6c24.txt [OUT]

(OUT defaults to data/holwerda2014/primary_studies.csv.)  The rows are cut by ``split_bijlage5``.

What is verbatim and what is coded:
- ``row_text``: the complete text of the table row (seed lines ``source_lines``), verbatim.
- ``effect_statements``: the statements of the row's effectiveness column from
  ``effect_statements.csv`` (built by ``build_effect_statements.py``: complete, with the
  subgroup heading written before a statement it applies to), joined by " | ".  Directions
  are in that table, not here.
- authors, year, country, design and the published quality score: read from the row
  (``CODED`` in primary_studies_coded.py gives each value as it stands in the seed; checked by eye).
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

import re

from coding.common import DATA, cli_args, write_rows
from coding.holwerda2014.build_effect_statements import build as build_statements
from coding.holwerda2014.primary_studies_coded import CODED, WEEK
from coding.holwerda2014.population_outcomes import POPULATION, code_row
from coding.holwerda2014.split_bijlage5 import blocks as split_blocks
from evsynth.review.domains import DOMAINS, domains_of

COUNTRY = {
    "Australië": "Australia",
    "Verenigde Staten": "United States",
    "Verenigd Koninkrijk": "United Kingdom",
    "Hawaii": "United States",
    "Nieuw Zeeland": "New Zealand",
    "Canada": "Canada",
    "Tenerife": "Spain",
}

# Intensity in its own units (issue 12): row -> {column: value}; every *_text is verbatim from the
# row.  contacts_per_month / contacts_per_week above hold only a frequency the row states
# ("wekelijks", "2-wekelijks"); a total over a period is not a frequency: it goes to
# total_sessions / total_period_months, and the rate derived from it to
# contacts_per_month_derived with its formula.  Hours per week are not contacts.
INTENSITY = {
    5: {
        "total_sessions": 25,
        "total_sessions_text": "25 huisbezoeken van ongeveer 1.5 uur",
        "session_hours": 1.5,
        "total_period_months": 9,
        "total_period_text": "ongeveer 9 maanden in totaal",
    },
    47: {
        "total_sessions": 25,
        "total_sessions_text": "25 bezoeken van 1 uur gedurende 9 maanden",
        "session_hours": 1,
        "total_period_months": 9,
        "total_period_text": "gedurende 9 maanden",
    },
    38: {"hours_per_week": 2, "hours_per_week_text": "twee uur per week"},
    25: {"hours_per_week": 15, "hours_per_week_text": "15 uur/week"},
    22: {"session_hours": 2, "total_period_months": 8 * WEEK, "total_period_text": "gedurende 8 weken"},
    23: {
        "total_sessions": 12,
        "total_sessions_text": "12 wekelijkse bijeenkomsten",
        "total_period_months": 12 * WEEK,
        "total_period_text": "12 wekelijkse bijeenkomsten",
    },
    13: {"total_sessions": 10, "total_sessions_text": "10 sessies in 10 weken/ 10 sessies in 20 weken"},
    30: {"total_sessions": 3, "total_sessions_text": "3 sessies"},
    33: {"total_sessions": 3, "total_sessions_text": "3 sessies"},
    41: {"total_sessions": 12, "total_sessions_text": "12 coachingsessies"},
    45: {"total_sessions": 21, "total_sessions_text": "21 sessies"},
}
INTENSITY_FIELDS = [
    "hours_per_week",
    "hours_per_week_text",
    "total_sessions",
    "total_sessions_text",
    "session_hours",
    "total_period_months",
    "total_period_text",
    "contacts_per_month_derived",
    "contacts_per_month_derived_formula",
]


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
            "(derived from a total over the period; the seed states no visit schedule)"
        )
    return out


FOCUS = {
    "Gezondheid": "health",
    "Gedrag": "behaviour",
    "Onderwijs": "education",
    "Opleiding": "education",
    "Economisch": "economic",
    "Geestelijke gezondheid": "mental health",
}

# outcome-domain keyword rules: evsynth.domains.DOMAIN_KEYWORDS (one definition for coding and templates)


def main(seed: str, out: str) -> None:
    with open(seed, encoding="utf-8") as fh:
        blocks = split_blocks(fh.readlines())
    assert [b["row"] for b in blocks] == [1, 2, 3] + list(range(5, 48)), "unexpected row numbers"
    statements = {}
    for x in build_statements(seed):
        statements.setdefault(int(x["statement_id"][3:5]), []).append(x)
    fields = [
        "row",
        "article_ids",
        "n_articles",
        "study_id",
        "intervention",
        "authors",
        "year",
        "country",
        "country_text",
        "design",
        "quality_score",
        "intervention_type",
        "organised_by",
        "organised_text",
        "duration_months",
        "duration_text",
        "contacts_per_month",
        "contacts_per_week",
        "intensity_text",
        *INTENSITY_FIELDS,
        "caseload",
        "caseload_text",
        "focus",
        "population_text",
        "population_group",
        "risk_profile",
        "child_age_text",
        "child_age_min_years",
        "child_age_max_years",
        "outcome_measures",
        "n_outcome_measures",
        "outcome_domains",
        "effect_domains",
        "effect_statements",
        "n_effect_statements",
        "row_text",
        "coding_note",
        "source",
    ]
    rows = []
    for b in blocks:
        r = b["row"]
        (ids, name, authors, year, ctext, design, score, itype, org, orgt, dur, durt, cpm, intt, pop) = CODED[r]
        text = b["text"]
        lines = [ln.strip() for ln in text.split("\n")]
        assert ctext in text, f"row {r}: country text not found"
        assert authors.split()[0].replace(".", "") in text.replace(".", ""), f"row {r}: authors not found"
        if score is not None:
            assert re.search(rf"(RCT|exp)\s*\n\s*{score}\s*\n", text + "\n") or re.search(rf"\n{score}\s*\n", text), (
                f"row {r}: score"
            )
        focus = sorted({FOCUS[ln] for ln in lines[:60] if ln in FOCUS}, key=list(FOCUS.values()).index)
        st = statements[r]
        effects = [(f"{x['subgroup_heading']} " if x["subgroup_heading"] else "") + x["statement"] for x in st]
        domains = [d for d in DOMAINS if any(d in x["outcome_domains"].split(";") for x in st)]
        po = code_row(r, text)
        first_year = year.split(";")[0]
        stem = "mcmillan" if authors.startswith("Mc Millan") else re.sub(r"[^a-z]", "", authors.split()[0].lower())
        sid = stem + first_year + {11: "a", 12: "b", 14: "a", 15: "b"}.get(r, "")
        rows.append(
            {
                "row": "3 en 4" if r == 3 else str(r),
                "article_ids": ids,
                "n_articles": len(ids.split(";")),
                "study_id": sid,
                "intervention": name,
                "authors": authors,
                "year": year,
                "country": COUNTRY[ctext],
                "country_text": ctext,
                "design": design,
                "quality_score": "" if score is None else score,
                "intervention_type": itype,
                "organised_by": org,
                "organised_text": orgt,
                "duration_months": "" if dur is None else f"{dur:.2f}",
                "duration_text": durt,
                "contacts_per_month": "" if cpm is None else f"{cpm:.2f}",
                "contacts_per_week": "" if cpm is None else f"{cpm * 12 / 52:.2f}",
                "intensity_text": intt,
                **intensity(r, cpm, text),
                "caseload": "",
                "caseload_text": "",
                "focus": ";".join(focus),
                "population_text": "; ".join(
                    x
                    for x in (
                        [y for p in POPULATION[r] for y in ((p,) if isinstance(p, str) else p)]
                        if r in POPULATION
                        else (po["population_group"], po["risk_profile"])
                    )
                    if x
                ),
                **po,
                "outcome_domains": ";".join(
                    d
                    for d in DOMAINS
                    if d in set(domains_of(" | ".join(po["outcome_measures"].split(" | ")))) | set(domains)
                ),
                "effect_domains": ";".join(domains),
                "effect_statements": " | ".join(effects),
                "n_effect_statements": len(effects),
                "row_text": re.sub(r"\n\s*\n+", "\n", text).replace("\ufffd", "[?]"),
                "source": f"Holwerda et al. (2014), Bijlage 5, row {'3 en 4' if r == 3 else r} (seed lines {b['first_line']}-{b['last_line']})",
            }
        )
    for x in rows:  # every *_text piece is the seed's words
        flat_row = re.sub(r"\s+", " ", x["row_text"].replace("[?]", "\ufffd"))
        for k in fields:
            if k.endswith("_text") and k != "row_text" and x[k]:
                for piece in x[k].split("; "):
                    assert re.sub(r"\s+", " ", piece).strip() in flat_row, (
                        f"row {x['row']}, {k}: {piece!r} is not verbatim"
                    )
    write_rows(out, fields, rows)


if __name__ == "__main__":
    main(*cli_args(DATA / "holwerda2014" / "primary_studies.csv"))
