"""Build data/ifps2002/placement_trials.csv (the rows pooled) and placement_excluded.csv
(every other source row, with the reason) from data/external/ifps2002_placement.csv.

Declared selection rule (issue 13, priority 3):
1. final data cuts only: a row whose study name says "interim" is an earlier cut of a trial
   that has a final row, and is not independent of it -> excluded;
2. one time point per trial: the latest follow-up the source reports for that trial
   (Feldman 1991 has four: during the intervention, 3, 6 and 12 months after termination;
   12 months is kept);
3. a row without a control-group figure (count or percentage) cannot give a risk ratio
   -> excluded and listed.

Counts: `placed_exp` / `placed_ctrl` are copied where the source gives counts of families.
Where it gives only percentages, the count is DERIVED in separate columns
(`placed_exp_derived` = round(pct_exp * n_exp / 100), likewise for control) and the
column `count_source` says which was used.  `notplaced_*` = n - placed (derived).
Every output row carries `source_row` (the spreadsheet row of the source CSV, header = 1).

Run from the repository root:  python -m coding.ifps2002.build_placement
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from coding.common import DATA

SRC = DATA / "external" / "ifps2002_placement.csv"
OUT = DATA / "ifps2002"

# the latest time point first: rank of each time-point wording in the source
TIME_ORDER = [
    "during intervention",
    "3 months post-termination",
    "6 months post-termination",
    "12 months post-termination",
]


def _num(x: str):
    x = (x or "").strip()
    if x in ("", "NA", "NR"):
        return None
    return float(x)


def _trial(name: str) -> str:
    """Trial identity: the study name without the data-cut words."""
    return re.sub(r"\s+interim", "", name).replace("Westat 2001", "Westat 2002")


def _time_rank(tp: str) -> int:
    for i, t in enumerate(TIME_ORDER):
        if tp.startswith(t):
            return i
    return len(TIME_ORDER)  # a single reported time point


def build(src: Path = SRC) -> tuple[list[dict], list[dict]]:
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    last_doc = ""
    for i, r in enumerate(rows):
        r["source_row"] = i + 2
        if r["source_doc"].strip() == "same as above":  # the source's own back-reference, resolved
            r["source_doc"] = last_doc
        last_doc = r["source_doc"]
    excluded, keep = [], []
    for r in rows:
        if "interim" in r["study"].lower():
            excluded.append(
                {**_ex(r), "reason": "interim data cut of a trial whose final cut is included (not independent)"}
            )
            continue
        if _num(r["placed_ctrl"]) is None and _num(r["pct_ctrl"]) is None:
            excluded.append({**_ex(r), "reason": "no control-group figure in the source (count and percentage empty)"})
            continue
        keep.append(r)
    # one time point per trial: the latest
    by_trial: dict[str, list[dict]] = {}
    for r in keep:
        by_trial.setdefault(_trial(r["study"]), []).append(r)
    used = []
    for trial, rs in by_trial.items():
        rs = sorted(rs, key=lambda r: _time_rank(r["timepoint"]))
        for r in rs[:-1]:
            excluded.append(
                {
                    **_ex(r),
                    "reason": f"earlier time point of {trial}; the latest reported ({rs[-1]['timepoint']}) is used",
                }
            )
        used.append(_counts(rs[-1]))
    excluded.sort(key=lambda e: e["source_row"])
    used.sort(key=lambda u: u["source_row"])
    return used, excluded


def _ex(r: dict) -> dict:
    return {"source_row": r["source_row"], "study": r["study"], "timepoint": r["timepoint"]}


def _counts(r: dict) -> dict:
    n_e, n_c = int(_num(r["n_exp"])), int(_num(r["n_ctrl"]))
    pe, pc = _num(r["placed_exp"]), _num(r["placed_ctrl"])
    out = {
        "source_row": r["source_row"],
        "study": r["study"],
        "site_program": r["site_program"],
        "design": r["design"],
        "timepoint": r["timepoint"],
        "unit": r["unit"],
        "n_exp": n_e,
        "n_ctrl": n_c,
        "placed_exp": "" if pe is None else int(pe),
        "placed_ctrl": "" if pc is None else int(pc),
        "pct_exp": r["pct_exp"],
        "pct_ctrl": r["pct_ctrl"],
    }
    if pe is None or pc is None:
        de = round(_num(r["pct_exp"]) * n_e / 100)
        dc = round(_num(r["pct_ctrl"]) * n_c / 100)
        out.update(
            placed_exp_derived=de,
            placed_ctrl_derived=dc,
            count_source="derived: round(pct x n / 100) from the reported percentages (denominators as randomised)",
        )
        ue, uc = de, dc
    else:
        out.update(placed_exp_derived="", placed_ctrl_derived="", count_source="reported counts of families")
        ue, uc = int(pe), int(pc)
    out.update(
        placed_exp_used=ue,
        notplaced_exp_used=n_e - ue,
        placed_ctrl_used=uc,
        notplaced_ctrl_used=n_c - uc,
        source_doc=r["source_doc"],
        source_section=r["source_section"],
    )
    return out


def write(used, excluded, outdir: Path = OUT) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    for name, rows in (("placement_trials.csv", used), ("placement_excluded.csv", excluded)):
        with (outdir / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


def main() -> None:
    u, e = build()
    write(u, e)
    print(f"{len(u)} trials used, {len(e)} source rows excluded")


if __name__ == "__main__":
    main()
