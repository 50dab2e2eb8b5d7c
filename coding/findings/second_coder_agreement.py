"""Agreement of the second, blind coder with the first coding of the interpretive columns
(issue 25 item 2).  Run from the repository root:

    python -m coding.findings.second_coder_agreement

Reads the second coder's sheets in data/findings/second_coder/ (``*_coder2.csv``: the blind
sheets of coding/findings/blind_sheet.py, coded from the seeds and CODING_RULES.md without sight of
the first coding) and the first coding (findings.csv, effect_statements.csv,
review_statements.csv, interventions.csv), and writes

- data/findings/second_coder_agreement.csv: per table and column, the rows compared, the rows
  agreeing, per cent agreement and Cohen's kappa (categorical columns; kappa from the two coders'
  marginal shares, (p_o - p_e) / (1 - p_e));
- data/findings/second_coder_disagreements.csv: every row where the two differ (table, id,
  column, first, second, the second coder's note), the list the coding log resolves
  (second_coder_resolutions.csv: resolution and reason per disagreement).

- data/findings/second_coder_agreement.csv also holds the agreement after resolution: how many
  first codes the resolutions changed (``first_codes_changed``), how many disagreements were the
  same code in other words (``same_meaning``), and the agreement of the first coding as it now
  stands with the second coder (``agree_after``, ``per_cent_agreement_after``, ``kappa_after``).

Resolutions: data/findings/second_coder_resolutions.csv (table, id, column, first, second,
resolution, value, reason) resolves every disagreement; resolution is "first kept", "second
adopted", "both changed" or "same meaning", value the code the first coding holds after
resolution.  The first coding as the second coder met it ("before") is the shipped first coding
with each changed cell's ``first`` put back; the script stops with a message (exit 1) if a
disagreement has no resolution or more than one, if a resolution has no disagreement, if its
``first``/``second`` are not the two coders' codes, or if the shipped first coding does not hold
its ``value``, or if coding_log.csv records a change by a resolution (reason "second coder's
disagreement resolved") that has no resolution row (a dropped row would otherwise look like agreement).

Comparison: text is compared after trimming and lower-casing; ``outcome_domains`` as a set of
"; "-separated domains; free-text columns (population, group_lines, evenboer_2018_conclusion) are
compared as "empty or not" for kappa and literally for per cent agreement (the column
``compared_as`` says which)."""

import csv
import sys
from collections import Counter
from pathlib import Path

from coding.common import DATA, write_rows

FINDINGS = DATA / "findings"

SECOND = FINDINGS / "second_coder"
# table -> (first coding, second coding, id column, [(column, kind)]): kind "category", "set" or "text"
TABLES = {
    "findings": (
        FINDINGS / "findings.csv",
        SECOND / "findings_coder2.csv",
        "finding_id",
        [("claim_type", "category"), ("direction", "category"), ("population", "text")],
    ),
    "effect_statements": (
        DATA / "holwerda2014" / "effect_statements.csv",
        SECOND / "effect_statements_coder2.csv",
        "statement_id",
        [("direction", "category"), ("outcome_domains", "set")],
    ),
    "review_statements": (
        DATA / "holwerda2014" / "review_statements.csv",
        SECOND / "review_statements_coder2.csv",
        "statement_id",
        [("direction", "category")],
    ),
    "nji_interventions": (
        DATA / "nji2020" / "interventions.csv",
        SECOND / "nji_interventions_coder2.csv",
        "intervention",
        [("group", "category"), ("klaassen_vermaat_2015_max_effect", "category"), ("evenboer_2018_conclusion", "text")],
    ),
}


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# the second coder's sheet named Klaassen-Vermaat's categories as the NJI text words them ("at most
# large"); the first coding stores the category alone ("large"): the same four categories
KV_LABELS = {
    "at most large": "large",
    "at most medium": "medium",
    "at most small": "small",
    "no effect size known": "none known",
}


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
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / n**2
    return None if pe == 1 else (po - pe) / (1 - pe)


RESOLUTIONS = FINDINGS / "second_coder_resolutions.csv"
RES_FIELDS = ["table", "id", "column", "first", "second", "resolution", "value", "reason"]
KINDS = ("first kept", "second adopted", "both changed", "same meaning")
CHANGED = ("second adopted", "both changed")


class ResolutionError(Exception):
    """The resolutions do not match the disagreements (message names the row)."""


def _kind(table: str, column: str) -> str:
    return dict(TABLES[table][3])[column]


def read_resolutions(path: Path = RESOLUTIONS) -> dict[tuple, dict]:
    """(table, id, column) -> resolution row; stops on a duplicate or an unknown resolution."""
    out = {}
    for i, r in enumerate(_read(path), 2):
        key = (r["table"], r["id"], r["column"])
        where = f"{path.name} line {i} ({', '.join(key)})"
        if r["table"] not in TABLES or r["column"] not in dict(TABLES[r["table"]][3]):
            raise ResolutionError(f"{where}: no such table/column in the comparison")
        if r["resolution"] not in KINDS:
            raise ResolutionError(f"{where}: resolution {r['resolution']!r} is not one of {', '.join(KINDS)}")
        if not r["reason"].strip():
            raise ResolutionError(f"{where}: no reason")
        if key in out:
            raise ResolutionError(f"{where}: a second resolution of the same disagreement")
        out[key] = r
    return out


LOG = DATA / "holwerda2014" / "coding_log.csv"
LOG_TABLES = {
    "findings.csv": "findings",
    "effect_statements.csv": "effect_statements",
    "review_statements.csv": "review_statements",
    "interventions.csv": "nji_interventions",
}
LOG_MARK = "second coder's disagreement resolved"


def logged_changes() -> set[tuple]:
    """(table, id, column) of the compared cells the coding log says a resolution changed."""
    out = set()
    for r in _read(LOG):
        t = LOG_TABLES.get(r["table"])
        if t and LOG_MARK in r["reason"] and r["column"] in dict(TABLES[t][3]):
            out.add((t, r["row"], r["column"]))
    return out


def compare(resolutions: dict[tuple, dict] | None = None) -> tuple[list[dict], list[dict]]:
    """Per-column agreement before and after resolution, and the disagreements before it."""
    res = read_resolutions() if resolutions is None else resolutions
    summary, disagreements, seen = [], [], set()
    for table, (first_path, second_path, key, cols) in TABLES.items():
        if not second_path.exists():
            continue
        now = {r[key]: r for r in _read(first_path)}
        second = [r for r in _read(second_path) if r[key] in now]
        for col, kind in cols:
            pairs, pairs_after, same, same_after, changed, same_meaning = [], [], 0, 0, 0, 0
            for r in second:
                rid = r[key]
                cur = now[rid].get(col, "")
                rr = res.get((table, rid, col))
                # the first code as the second coder met it: a changed cell's 'first' put back
                before = rr["first"] if rr and rr["resolution"] in CHANGED else cur
                a, b, c = norm(before, kind), norm(r.get(col, ""), kind), norm(cur, kind)
                same += a == b
                same_after += c == b
                pairs.append((bool(a), bool(b)) if kind == "text" else (a, b))
                pairs_after.append((bool(c), bool(b)) if kind == "text" else (c, b))
                if a != b:
                    where = f"{table} {rid} {col}"
                    disagreements.append(
                        {
                            "table": table,
                            "id": rid,
                            "column": col,
                            "first": before,
                            "second": r.get(col, ""),
                            "second_note": r.get("note", ""),
                        }
                    )
                    if rr is None:
                        raise ResolutionError(
                            f"{RESOLUTIONS.name}: no resolution of the disagreement {where} "
                            f"(first {before!r}, second {r.get(col, '')!r})"
                        )
                    seen.add((table, rid, col))
                    if norm(rr["second"], kind) != b:
                        raise ResolutionError(
                            f"{RESOLUTIONS.name}: {where}: 'second' {rr['second']!r} is not the "
                            f"second coder's code {r.get(col, '')!r}"
                        )
                    if norm(rr["value"], kind) != c:
                        raise ResolutionError(
                            f"{RESOLUTIONS.name}: {where}: value {rr['value']!r} is not what the "
                            f"first coding holds ({cur!r}); apply the resolution in the coding sources"
                        )
                    if rr["resolution"] in ("first kept", "same meaning") and c != a:
                        raise ResolutionError(
                            f"{RESOLUTIONS.name}: {where}: '{rr['resolution']}' but the first code "
                            f"changed from {before!r} to {cur!r}"
                        )
                    if rr["resolution"] == "second adopted" and c != b:
                        raise ResolutionError(
                            f"{RESOLUTIONS.name}: {where}: 'second adopted' but the value "
                            f"{cur!r} is not the second coder's {r.get(col, '')!r}"
                        )
                    if rr["resolution"] in CHANGED and c == a:
                        raise ResolutionError(
                            f"{RESOLUTIONS.name}: {where}: '{rr['resolution']}' but the first code is unchanged"
                        )
                    changed += rr["resolution"] in CHANGED
                    same_meaning += rr["resolution"] == "same meaning"
            k, k_after = kappa(pairs), kappa(pairs_after)
            n = len(second)
            summary.append(
                {
                    "table": table,
                    "column": col,
                    "compared_as": "empty or not" if kind == "text" else kind,
                    "rows": n,
                    "agree": same,
                    "per_cent_agreement": f"{100 * same / n:.1f}" if n else "",
                    "kappa": "" if k is None else f"{k:.3f}",
                    "disagreements": n - same,
                    "first_codes_changed": changed,
                    "same_meaning": same_meaning,
                    "agree_after": same_after,
                    "per_cent_agreement_after": f"{100 * same_after / n:.1f}" if n else "",
                    "kappa_after": "" if k_after is None else f"{k_after:.3f}",
                }
            )
    # a changed cell whose resolution row went missing would look like agreement: the coding log
    # records every change made by a resolution, so each logged change needs its resolution row
    changed_keys = {k for k, r in res.items() if r["resolution"] in CHANGED}
    for t, rid, col in logged_changes():
        if (t, rid, col) not in changed_keys:
            raise ResolutionError(
                f"{RESOLUTIONS.name}: no resolution of the disagreement {t} {rid} {col} "
                f"(coding_log.csv records a change by the second coder's resolution)"
            )
    extra = sorted(set(res) - seen)
    if extra:
        raise ResolutionError(
            f"{RESOLUTIONS.name}: resolution without a disagreement: {', '.join(extra[0])}"
            + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else "")
        )
    return summary, disagreements


SUMMARY_FIELDS = [
    "table",
    "column",
    "compared_as",
    "rows",
    "agree",
    "per_cent_agreement",
    "kappa",
    "disagreements",
    "first_codes_changed",
    "same_meaning",
    "agree_after",
    "per_cent_agreement_after",
    "kappa_after",
]


def main() -> None:
    try:
        summary, disagreements = compare()
    except (ResolutionError, OSError) as e:
        sys.exit(f"second_coder_agreement: {e}")
    except KeyError as e:
        sys.exit(f"second_coder_agreement: a sheet, table or second_coder_resolutions.csv lacks the column {e}")
    write_rows(FINDINGS / "second_coder_agreement.csv", SUMMARY_FIELDS, summary)
    write_rows(
        FINDINGS / "second_coder_disagreements.csv",
        ["table", "id", "column", "first", "second", "second_note"],
        disagreements,
    )


if __name__ == "__main__":
    main()
