"""Agreement between the two independent extractions (PROTOCOL.md section 7).

Run from the repository root:  python -m coding.extraction.agreement  [--outdir DIR]

Reads data/extraction/coder_A.csv, coder_B.csv, moderators_A.csv, moderators_B.csv and the
study list data/holwerda2014/primary_studies.csv; writes (to DIR, default data/extraction)
  comparison.csv  one row per key (study_id, outcome_domain) found by either coder
  agreement.csv   measure, value, note: keys per coder, identical rows, Cohen's kappa and
                  per cent agreement (usable / not usable per study; moderator present per
                  study and moderator), the same key counts for the moderators.
Plain Python and csv only; rows sorted by key, numbers written with fixed rounding, so the
same inputs give byte-identical files.

Rules (mechanical; the judgement per key is in reconciliation_log.csv):
- same statistics: every statistic column equal as a number (empty = empty);
- same outcome: the outcome names share more than half of the words of the shorter name
  (lower case, punctuation and a few stop words dropped; overlap coefficient > 0.5);
- same time point: the first "<number> <day|week|month|year>" of each (number words one to
  twelve read as digits, plural dropped) is equal; without one, the texts are equal after
  normalising case and punctuation;
- moderators: coder B's contacts_per_week is put on the schema's contacts_per_month
  (x 4.33, rounded to 2 decimals) before comparing; a name outside the schema's vocabulary
  (contacts_per_month, total_sessions, duration_months, caseload) stays a key of its own;
  values are identical when equal after rounding to 2 decimals.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from coding.common import DATA

EXTRACTION = DATA / "extraction"

STAT_COLUMNS = [
    "n1",
    "n2",
    "m1",
    "sd1",
    "m2",
    "sd2",
    "t",
    "f",
    "p",
    "sign",
    "events1",
    "total1",
    "events2",
    "total2",
    "or",
    "or_ci_lb",
    "or_ci_ub",
    "md",
    "md_ci_lb",
    "md_ci_ub",
    "d_reported",
    "d_var_reported",
]
MODERATORS = ["contacts_per_month", "total_sessions", "duration_months", "caseload"]
WEEKS_PER_MONTH = 4.33
STOP = {"a", "an", "the", "of", "and", "in", "on", "to", "for", "with", "by", "at", "s"}
NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
    )
}
UNITS = {
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
}


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def num(text: str):
    """A cell as a float, or None when empty."""
    text = (text or "").strip()
    return None if text == "" else float(text)


def same_number(a: str, b: str) -> bool:
    x, y = num(a), num(b)
    if x is None or y is None:
        return x is None and y is None
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", (text or "").lower()) if w not in STOP}


def same_outcome(a: str, b: str) -> bool:
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return wa == wb
    return len(wa & wb) / min(len(wa), len(wb)) > 0.5


def first_period(text: str):
    tokens = re.findall(r"[a-z0-9]+", (text or "").lower())
    tokens = [NUMBER_WORDS.get(t, t) for t in tokens]
    for i in range(len(tokens) - 1):
        if tokens[i].isdigit() and tokens[i + 1] in UNITS:
            return tokens[i], UNITS[tokens[i + 1]]
    return None


def same_timepoint(a: str, b: str) -> bool:
    pa, pb = first_period(a), first_period(b)
    if pa is None and pb is None:
        return re.findall(r"[a-z0-9]+", (a or "").lower()) == re.findall(r"[a-z0-9]+", (b or "").lower())
    return pa == pb


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def kappa(pairs: list[tuple[bool, bool]]) -> tuple[float, float | None]:
    """Per cent agreement and Cohen's kappa of two raters' yes/no judgements on the same items:
    p_o = share of items with the same judgement, p_e = pA(yes) pB(yes) + pA(no) pB(no),
    kappa = (p_o - p_e) / (1 - p_e); None where p_e = 1 (both raters constant and equal)."""
    n = len(pairs)
    if n == 0:
        raise ValueError("kappa of no items")
    po = sum(a == b for a, b in pairs) / n
    pa = sum(a for a, _ in pairs) / n
    pb = sum(b for _, b in pairs) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    if abs(1 - pe) < 1e-12:
        return po, None
    return po, (po - pe) / (1 - pe)


def fmt(x, digits: int = 4) -> str:
    if x is None:
        return ""
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}f}"


def compare_effects(rows_a: list[dict], rows_b: list[dict]) -> list[dict]:
    a = {(r["study_id"], r["outcome_domain"]): r for r in rows_a}
    b = {(r["study_id"], r["outcome_domain"]): r for r in rows_b}
    for name, rows, keyed in (("coder_A.csv", rows_a, a), ("coder_B.csv", rows_b, b)):
        if len(keyed) != len(rows):
            raise SystemExit(f"{name}: more than one row for a key (study_id, outcome_domain)")
    out = []
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        rec = {
            "study_id": key[0],
            "outcome_domain": key[1],
            "in_A": yes_no(ra is not None),
            "in_B": yes_no(rb is not None),
            "same_outcome": "",
            "same_timepoint": "",
            "same_statistics": "",
            "same_approximation": "",
            "same_higher_is_better": "",
            "differing_statistics": "",
        }
        if ra is not None and rb is not None:
            diff = [c for c in STAT_COLUMNS if not same_number(ra[c], rb[c])]
            rec.update(
                same_outcome=yes_no(same_outcome(ra["outcome"], rb["outcome"])),
                same_timepoint=yes_no(same_timepoint(ra["timepoint"], rb["timepoint"])),
                same_statistics=yes_no(not diff),
                same_approximation=yes_no(ra["approximation"].strip() == rb["approximation"].strip()),
                same_higher_is_better=yes_no(ra["higher_is_better"].strip() == rb["higher_is_better"].strip()),
                differing_statistics=" ".join(diff),
            )
        out.append(rec)
    return out


def moderator_values(rows: list[dict]) -> dict:
    """(study_id, moderator) -> value on the schema's vocabulary (contacts per week x 4.33)."""
    out = {}
    for r in rows:
        name, value = r["moderator"].strip(), num(r["value"])
        if name == "contacts_per_week":
            name, value = "contacts_per_month", value * WEEKS_PER_MONTH
        key = (r["study_id"].strip(), name)
        if key in out:
            raise SystemExit(f"moderators: more than one value for {key}")
        out[key] = round(value, 2)
    return out


def agreement_rows(comparison: list[dict], rows_a, rows_b, mods_a, mods_b, studies: list[str]) -> list[dict]:
    both = [c for c in comparison if c["in_A"] == "yes" and c["in_B"] == "yes"]
    identical = [c for c in both if c["same_statistics"] == "yes"]
    n_keys = len(comparison)
    out = [
        {
            "measure": "effect keys coder A",
            "value": fmt(sum(c["in_A"] == "yes" for c in comparison)),
            "note": "rows (study_id, outcome_domain) in coder_A.csv",
        },
        {
            "measure": "effect keys coder B",
            "value": fmt(sum(c["in_B"] == "yes" for c in comparison)),
            "note": "rows (study_id, outcome_domain) in coder_B.csv",
        },
        {"measure": "effect keys in both", "value": fmt(len(both)), "note": "keys both coders extracted"},
        {"measure": "effect keys in either", "value": fmt(n_keys), "note": "keys found by at least one coder"},
        {
            "measure": "identical rows",
            "value": fmt(len(identical)),
            "note": "keys in both with every statistic column equal as numbers (empty = empty)",
        },
        {
            "measure": "share of identical rows",
            "value": fmt(len(identical) / n_keys if n_keys else None),
            "note": f"identical rows / keys in either ({len(identical)}/{n_keys})",
        },
        {
            "measure": "identical rows among keys in both",
            "value": fmt(len(identical) / len(both) if both else None),
            "note": f"{len(identical)}/{len(both)}",
        },
        {
            "measure": "same outcome among keys in both",
            "value": fmt(sum(c["same_outcome"] == "yes" for c in both)),
            "note": "word-overlap rule (see script)",
        },
        {
            "measure": "same time point among keys in both",
            "value": fmt(sum(c["same_timepoint"] == "yes" for c in both)),
            "note": "first number-and-unit rule",
        },
        {
            "measure": "same approximation flag among keys in both",
            "value": fmt(sum(c["same_approximation"] == "yes" for c in both)),
            "note": "",
        },
    ]
    usable_a = {r["study_id"] for r in rows_a}
    usable_b = {r["study_id"] for r in rows_b}
    pairs = [(s in usable_a, s in usable_b) for s in studies]
    po, k = kappa(pairs)
    both_yes = sum(a and b for a, b in pairs)
    both_no = sum(not a and not b for a, b in pairs)
    out += [
        {
            "measure": "studies usable coder A",
            "value": fmt(len(usable_a & set(studies))),
            "note": f"of {len(studies)} study rows: at least one row in coder_A.csv",
        },
        {
            "measure": "studies usable coder B",
            "value": fmt(len(usable_b & set(studies))),
            "note": f"of {len(studies)} study rows: at least one row in coder_B.csv",
        },
        {"measure": "studies usable by both", "value": fmt(both_yes), "note": ""},
        {"measure": "studies not usable by both", "value": fmt(both_no), "note": ""},
        {
            "measure": "per cent agreement usable/not usable",
            "value": fmt(100 * po, 1),
            "note": f"({both_yes} + {both_no}) / {len(studies)} studies",
        },
        {
            "measure": "kappa usable/not usable",
            "value": fmt(k),
            "note": "Cohen's kappa, (p_o - p_e) / (1 - p_e), p_e from each coder's share of usable studies",
        },
    ]
    ma, mb = moderator_values(mods_a), moderator_values(mods_b)
    keys = sorted(set(ma) | set(mb))
    mboth = [x for x in keys if x in ma and x in mb]
    msame = [x for x in mboth if abs(ma[x] - mb[x]) < 0.005]
    outside = sorted({m for _, m in keys if m not in MODERATORS})
    cells = [(s, m) for s in studies for m in MODERATORS]
    mpo, mk = kappa([((s, m) in ma, (s, m) in mb) for s, m in cells])
    out += [
        {
            "measure": "moderator keys coder A",
            "value": fmt(len(ma)),
            "note": "(study_id, moderator) in moderators_A.csv",
        },
        {
            "measure": "moderator keys coder B",
            "value": fmt(len(mb)),
            "note": "(study_id, moderator) in moderators_B.csv, contacts_per_week put on contacts_per_month (x 4.33)"
            + (f"; names outside the schema kept: {' '.join(outside)}" if outside else ""),
        },
        {"measure": "moderator keys in both", "value": fmt(len(mboth)), "note": ""},
        {"measure": "moderator keys in either", "value": fmt(len(keys)), "note": ""},
        {
            "measure": "identical moderator values",
            "value": fmt(len(msame)),
            "note": "keys in both with equal values (2 decimals)",
        },
        {
            "measure": "share of identical moderator values",
            "value": fmt(len(msame) / len(keys) if keys else None),
            "note": f"identical values / keys in either ({len(msame)}/{len(keys)})",
        },
        {
            "measure": "per cent agreement moderator present",
            "value": fmt(100 * mpo, 1),
            "note": f"{len(cells)} cells: {len(studies)} studies x the schema's {len(MODERATORS)} moderators, "
            "value given or not",
        },
        {"measure": "kappa moderator present", "value": fmt(mk), "note": "Cohen's kappa over the same cells"},
    ]
    return out


def write(path: Path, rows: list[dict], columns: list[str]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    tmp.replace(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--indir", default=str(EXTRACTION), help="folder with coder_A.csv, coder_B.csv, moderators_*.csv")
    ap.add_argument("--studies", default=str(DATA / "holwerda2014" / "primary_studies.csv"))
    ap.add_argument("--outdir", default=str(EXTRACTION))
    args = ap.parse_args(argv)
    indir, outdir = Path(args.indir), Path(args.outdir)
    try:
        rows_a, rows_b = read_csv(indir / "coder_A.csv"), read_csv(indir / "coder_B.csv")
        mods_a, mods_b = read_csv(indir / "moderators_A.csv"), read_csv(indir / "moderators_B.csv")
        studies = [r["study_id"] for r in read_csv(Path(args.studies))]
    except (OSError, KeyError) as exc:
        print(f"coding.extraction.agreement: cannot read the inputs: {exc}", file=sys.stderr)
        return 2
    comparison = compare_effects(rows_a, rows_b)
    outdir.mkdir(parents=True, exist_ok=True)
    write(outdir / "comparison.csv", comparison, list(comparison[0].keys()))
    write(
        outdir / "agreement.csv",
        agreement_rows(comparison, rows_a, rows_b, mods_a, mods_b, studies),
        ["measure", "value", "note"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
