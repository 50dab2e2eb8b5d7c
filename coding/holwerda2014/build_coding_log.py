"""Build data/holwerda2014/coding_log.csv: every cell of the coded Holwerda tables where a
person decided instead of a written rule (the dictionary, the segmentation rules, the
verbatim copy), with the reason and the seed lines.  Run from the repository root:

    python -m coding.holwerda2014.build_coding_log ../shared/seeds/003_169077222a0c6c24.txt [OUT]

(OUT defaults to data/holwerda2014/coding_log.csv.)

The decisions themselves live in the coding scripts (``CELL``, ``BREAK_AFTER``, ``CHAPTER``,
``LEFT_UNKNOWN``, ``TEXT_DIRECTION``, ``DOMAIN_OVERRIDE`` in build_effect_statements.py;
``INTENSITY`` in build_primary_studies.py; ``NOTES`` in population_outcomes.py; ``CODER``
in build_reviews.py; the findings, NJI and quality-form decisions of issue 25 in
data/findings/coding_decisions.csv); this script lists them in one table."""

import csv

from coding.common import DATA, cli_args, write_rows
from coding.holwerda2014 import build_effect_statements as es
from coding.holwerda2014 import build_primary_studies as ps
from coding.holwerda2014 import build_reviews as rv
from coding.holwerda2014 import population_outcomes as po

FIELDS = ["table", "row", "column", "value", "reason", "seed_lines"]
DECISIONS = DATA / "findings" / "coding_decisions.csv"


def label(r: int) -> str:
    return "3 en 4" if r == 3 else str(r)


def entries(seed: str) -> list[dict]:
    stm = es.build(seed)
    by_first = {(int(x["statement_id"][3:5]), x["first_line"]): x for x in stm}
    out = []
    add = lambda **k: out.append({f: k.get(f, "") for f in FIELDS})  # noqa: E731
    for r, spans in sorted(es.CELL.items()):
        add(
            table="effect_statements.csv",
            row=label(r),
            column="(effectiveness cell)",
            value=";".join(f"{a}-{b}" for a, b in spans),
            reason=f"effectiveness cell given by hand: {es.CELL_WHY[r]}",
            seed_lines=";".join(f"{a}-{b}" for a, b in spans),
        )
    for n, why in sorted(es.BREAK_AFTER.items()):
        x = next(v for k, v in by_first.items() if v["first_line"] <= n <= v["last_line"])
        add(
            table="effect_statements.csv",
            row=x["statement_id"],
            column="statement",
            value=x["statement"],
            reason=f"statement ends after seed line {n}: {why}",
            seed_lines=f"{x['first_line']}-{x['last_line']}",
        )
    for key, (d, lines, quote) in sorted(es.CHAPTER.items()):
        x = by_first[key]
        add(
            table="effect_statements.csv",
            row=x["statement_id"],
            column="direction",
            value=d,
            reason=f'Holwerda et al. chapter text states it for this study: "{quote}"',
            seed_lines=lines,
        )
    for key, (lines, why) in sorted(es.LEFT_UNKNOWN.items()):
        x = by_first[key]
        add(
            table="effect_statements.csv",
            row=x["statement_id"],
            column="direction",
            value="unknown",
            reason=f"chapter text read, direction left unknown: {why}",
            seed_lines=lines,
        )
    for key, d in sorted(es.TEXT_DIRECTION.items()):
        x = by_first[key]
        add(
            table="effect_statements.csv",
            row=x["statement_id"],
            column="direction",
            value=d,
            reason=f'the statement\'s own words: "{x["statement"]}"'
            + (f"; {es.SECOND_CODER[key]}" if key in getattr(es, "SECOND_CODER", {}) else ""),
            seed_lines=f"{x['first_line']}-{x['last_line']}",
        )
    for key, why in sorted(es.MODERATOR.items()):
        x = by_first[key]
        add(
            table="effect_statements.csv",
            row=x["statement_id"],
            column="direction",
            value="unknown",
            reason=f"not coded as an effect: {why}",
            seed_lines=f"{x['first_line']}-{x['last_line']}",
        )
    for sid, (dom, why) in sorted(es.DOMAIN_OVERRIDE.items()):
        x = next(v for v in stm if v["statement_id"] == sid)
        add(
            table="effect_statements.csv",
            row=sid,
            column="outcome_domains",
            value=dom,
            reason=why,
            seed_lines=f"{x['first_line']}-{x['last_line']}",
        )
    for r, d in sorted(ps.INTENSITY.items()):
        for k, v in d.items():
            if not k.endswith("_text"):
                text = (
                    d.get(k + "_text")
                    or d.get(
                        {"total_period_months": "total_period_text", "session_hours": "total_sessions_text"}.get(k, ""),
                        "",
                    )
                    or ps.CODED[r][13]
                )  # else the row's intensity wording (intensity_text)
                if k == "total_period_months" and "wek" in text:  # weken, wekelijks(e)
                    why = f'weeks in the seed\'s words "{text}" converted to months (weeks x 7 / 30.4375)'
                else:
                    why = f'number read from the seed\'s words "{text}"'
                add(
                    table="primary_studies.csv",
                    row=label(r),
                    column=k,
                    value=f"{v:g}" if isinstance(v, float) else str(v),
                    reason=why,
                )
    for r, why in (
        (5, "the row states a total over a period (25 visits in about 9 months), not a visit frequency"),
        (38, "the row states hours per week, not a visit frequency"),
        (47, "the row states a total over a period (25 visits in 9 months), not a visit frequency"),
    ):
        add(
            table="primary_studies.csv",
            row=label(r),
            column="contacts_per_month",
            value="",
            reason=f"{why}: left empty; see total_sessions / hours_per_week and contacts_per_month_derived",
        )
    for r, note in sorted(po.NOTES.items()):
        add(
            table="primary_studies.csv",
            row=label(r),
            column="population_group;risk_profile;outcome_measures",
            value="",
            reason=note,
        )
    for (r, line), d in sorted(rv.TEXT_DIRECTION.items()):
        add(
            table="review_statements.csv",
            row=f"review row {r}, statement starting at seed line {line}",
            column="direction",
            value=d,
            reason="the statement's own words state the direction (text statement, no arrow)",
            seed_lines=str(line),
        )
    for (r, col), why in sorted(getattr(rv, "CODER", {}).items()):
        add(table="reviews.csv", row=str(r), column=col, value="", reason=why)
    # the coder's decisions on the findings table, the NJI table and the quality form (issue 25),
    # written by the coder with their reasons; NJI rows' seed_lines are lines of the NJI seed
    with open(DECISIONS, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            add(**rec)
    return out


def main(seed: str, out: str) -> None:
    write_rows(out, FIELDS, entries(seed))


if __name__ == "__main__":
    main(*cli_args(DATA / "holwerda2014" / "coding_log.csv"))
