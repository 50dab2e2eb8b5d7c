"""Write the second coder's blind coding sheets (issue 25 item 2): the rows to code with their
ids, seed line ranges and verbatim Dutch, and empty interpretive columns; never the first
coder's values.  Run from the repository root:

    python data/findings/blind_sheet.py OUTDIR

writes OUTDIR/findings_blind.csv (every row of findings.csv: finding_id, source_document,
section, first_line, last_line, claim_nl, then empty claim_type, direction, population,
intervention_or_factor, outcome) and OUTDIR/nji_interventions_blind.csv (every intervention of
data/nji2020/interventions.csv with empty group and group_lines).  The coder follows
data/findings/CODING_RULES.md and reads the seeds (../shared/seeds)."""

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from coding_common import write_rows  # noqa: E402

GIVEN = ["finding_id", "source_document", "section", "first_line", "last_line", "claim_nl"]
TO_CODE = ["claim_type", "direction", "population", "intervention_or_factor", "outcome"]


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main(outdir: str) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [{**{k: r[k] for k in GIVEN}, **{k: "" for k in TO_CODE}} for r in _read(HERE / "findings.csv")]
    write_rows(out / "findings_blind.csv", GIVEN + TO_CODE, rows)
    nji = [{"intervention": r["intervention"], "group": "", "group_lines": ""}
           for r in _read(HERE.parent / "nji2020" / "interventions.csv")]
    write_rows(out / "nji_interventions_blind.csv", ["intervention", "group", "group_lines"], nji)


if __name__ == "__main__":
    main(sys.argv[1])
