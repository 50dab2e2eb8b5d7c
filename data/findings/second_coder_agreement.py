"""Agreement of the second, blind coder with the first coding of the interpretive columns
(issue 25 item 2).  Run from the repository root:

    python data/findings/second_coder_agreement.py

Reads the second coder's sheets in data/findings/second_coder/ (``*_coder2.csv``: the blind
sheets of data/findings/blind_sheet.py, coded from the seeds and CODING_RULES.md without sight of
the first coding) and the first coding (findings.csv, effect_statements.csv,
review_statements.csv, interventions.csv), and writes

- data/findings/second_coder_agreement.csv: per table and column, the rows compared, the rows
  agreeing, per cent agreement and Cohen's kappa (categorical columns; kappa from the two coders'
  marginal shares, (p_o - p_e) / (1 - p_e));
- data/findings/second_coder_disagreements.csv: every row where the two differ (table, id,
  column, first, second, the second coder's note), the list the coding log resolves
  (second_coder_resolutions.csv: resolution and reason per disagreement).

Comparison: text is compared after trimming and lower-casing; ``outcome_domains`` as a set of
"; "-separated domains; free-text columns (population, group_lines, evenboer_2018_conclusion) are
compared as "empty or not" for kappa and literally for per cent agreement (the column
``compared_as`` says which)."""

import csv
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
sys.path.insert(0, str(DATA))
from coding_common import write_rows  # noqa: E402

SECOND = HERE / "second_coder"
# table -> (first coding, second coding, id column, [(column, kind)]): kind "category", "set" or "text"
TABLES = {
    "findings": (HERE / "findings.csv", SECOND / "findings_coder2.csv", "finding_id",
                 [("claim_type", "category"), ("direction", "category"), ("population", "text")]),
    "effect_statements": (DATA / "holwerda2014" / "effect_statements.csv", SECOND / "effect_statements_coder2.csv",
                          "statement_id", [("direction", "category"), ("outcome_domains", "set")]),
    "review_statements": (DATA / "holwerda2014" / "review_statements.csv", SECOND / "review_statements_coder2.csv",
                          "statement_id", [("direction", "category")]),
    "nji_interventions": (DATA / "nji2020" / "interventions.csv", SECOND / "nji_interventions_coder2.csv",
                          "intervention", [("group", "category"), ("klaassen_vermaat_2015_max_effect", "category"),
                                           ("evenboer_2018_conclusion", "text")]),
}


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# the second coder's sheet named Klaassen-Vermaat's categories as the NJI text words them ("at most
# large"); the first coding stores the category alone ("large"): the same four categories
KV_LABELS = {"at most large": "large", "at most medium": "medium", "at most small": "small",
             "no effect size known": "none known"}


def norm(value: str, kind: str):
    v = " ".join((value or "").split()).lower()
    v = KV_LABELS.get(v, v)
    if kind == "set":
        return frozenset(x.strip() for x in v.split(";") if x.strip())
    return v


def kappa(pairs: list[tuple]) -> float | None:
    """Cohen's kappa of a list of (first, second) codes; None when chance agreement is 1."""
    n = len(pairs)
    if not n:
        return None
    po = sum(a == b for a, b in pairs) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / n ** 2
    return None if pe == 1 else (po - pe) / (1 - pe)


def compare() -> tuple[list[dict], list[dict]]:
    summary, disagreements = [], []
    for table, (first_path, second_path, key, cols) in TABLES.items():
        if not second_path.exists():
            continue
        first = {r[key]: r for r in _read(first_path)}
        second = [r for r in _read(second_path) if r[key] in first]
        for col, kind in cols:
            pairs, same = [], 0
            for r in second:
                a, b = norm(first[r[key]].get(col, ""), kind), norm(r.get(col, ""), kind)
                same += a == b
                pairs.append((bool(a), bool(b)) if kind == "text" else (a, b))
                if a != b:
                    disagreements.append({"table": table, "id": r[key], "column": col,
                                          "first": first[r[key]].get(col, ""), "second": r.get(col, ""),
                                          "second_note": r.get("note", "")})
            k = kappa(pairs)
            summary.append({"table": table, "column": col, "compared_as": "empty or not" if kind == "text" else kind,
                            "rows": len(second), "agree": same,
                            "per_cent_agreement": f"{100 * same / len(second):.1f}" if second else "",
                            "kappa": "" if k is None else f"{k:.3f}"})
    return summary, disagreements


def main() -> None:
    summary, disagreements = compare()
    write_rows(HERE / "second_coder_agreement.csv",
               ["table", "column", "compared_as", "rows", "agree", "per_cent_agreement", "kappa"], summary)
    write_rows(HERE / "second_coder_disagreements.csv",
               ["table", "id", "column", "first", "second", "second_note"], disagreements)


if __name__ == "__main__":
    main()
