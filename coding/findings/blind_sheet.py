"""Write the second coder's blind coding sheets (issue 25 item 2): the rows to code with their
ids, seed line ranges and verbatim Dutch, and empty interpretive columns; never the first
coder's values.  Run from the repository root:

    python -m coding.findings.blind_sheet OUTDIR

writes OUTDIR/findings_blind.csv (every row of findings.csv: finding_id, source_document,
section, first_line, last_line, claim_nl, then empty claim_type, direction, population,
intervention_or_factor, outcome), OUTDIR/nji_interventions_blind.csv (every intervention of
data/nji2020/interventions.csv with empty group, group_lines and per-intervention cells),
OUTDIR/effect_statements_blind.csv (every statement of Bijlage 5: id, row, kind, heading, outcome,
verbatim statement and lines; empty direction, direction_lines, outcome_domains) and
OUTDIR/review_statements_blind.csv (Bijlage 6 likewise; empty direction, direction_lines).  The
coder follows data/findings/CODING_RULES.md and reads the seeds (../shared/seeds)."""

import csv
import sys
from pathlib import Path

from coding.common import DATA, write_rows

GIVEN = ["finding_id", "source_document", "section", "first_line", "last_line", "claim_nl"]
TO_CODE = ["claim_type", "direction", "population", "intervention_or_factor", "outcome"]


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main(outdir: str) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [{**{k: r[k] for k in GIVEN}, **{k: "" for k in TO_CODE}} for r in _read(DATA / "findings" / "findings.csv")]
    write_rows(out / "findings_blind.csv", GIVEN + TO_CODE, rows)
    nji_cells = ["group", "group_lines", "klaassen_vermaat_2015_max_effect", "evenboer_2018_conclusion"]
    nji = [
        {"intervention": r["intervention"], **{k: "" for k in nji_cells}}
        for r in _read(DATA / "nji2020" / "interventions.csv")
    ]
    write_rows(out / "nji_interventions_blind.csv", ["intervention"] + nji_cells, nji)
    given = ["statement_id", "row", "kind", "subgroup_heading", "outcome", "statement", "first_line", "last_line"]
    es = [
        {**{k: r[k] for k in given}, "direction": "", "direction_lines": "", "outcome_domains": ""}
        for r in _read(DATA / "holwerda2014" / "effect_statements.csv")
    ]
    write_rows(out / "effect_statements_blind.csv", given + ["direction", "direction_lines", "outcome_domains"], es)
    given = [
        "statement_id",
        "row",
        "review_id",
        "kind",
        "subgroup_heading",
        "outcome",
        "statement",
        "first_line",
        "last_line",
    ]
    rs = [
        {**{k: r[k] for k in given}, "direction": "", "direction_lines": ""}
        for r in _read(DATA / "holwerda2014" / "review_statements.csv")
    ]
    write_rows(out / "review_statements_blind.csv", given + ["direction", "direction_lines"], rs)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(
            "usage: python -m coding.findings.blind_sheet OUTDIR  (the folder the four blind sheets are written to)"
        )
    main(sys.argv[1])
