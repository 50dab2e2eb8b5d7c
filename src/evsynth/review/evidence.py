"""What the seeds say about effects: the statement tables of Holwerda et al. (2014), Bijlage 5
and 6, and the findings table of both seeds; their cross-checks (a statement must belong to a
study row of the coded table; a line range must lie inside its seed) and the effect-direction
synthesis (SWiM, Campbell et al. 2020; effect direction plot, Thomson & Thomson 2013):
statements counted by intervention type x outcome domain x direction, unknown counted as
unknown."""

from __future__ import annotations

import pandas as pd

from evsynth.review.domains import DOMAINS

__all__ = ["DIRECTIONS", "FINDING_DIRECTIONS", "SEED_FILES", "check_statements", "check_findings", "effect_direction"]

DIRECTIONS = ["positive", "none", "negative", "mixed", "unknown"]
# the findings table's directions (data/findings/CODING_RULES.md): a hedge or a limitation in
# the source's words is kept ("limited positive", "possibly positive", "possibly none")
FINDING_DIRECTIONS = [
    "positive",
    "limited positive",
    "possibly positive",
    "mixed",
    "none",
    "possibly none",
    "negative",
    "unknown",
]
# which seed text each table's line numbers refer to (read by evsynth.pipeline.inputs.seed_lengths)
SEED_FILES = {"holwerda2014": "003_169077222a0c6c24.txt", "nji2020": "000_d6eb5ec40b6ce6bc.txt"}


def _line_problems(path, i: int, rec: pd.Series, n_lines: int | None, seed: str) -> list[str]:
    out = []
    if n_lines is None:
        return out
    for col in ("first_line", "last_line"):
        v = rec.get(col)
        if pd.notna(v) and int(v) > n_lines:
            out.append(f"{path}: row {i + 2}, column '{col}': found {int(v)}; the seed {seed} has {n_lines} lines")
    for col in ("direction_lines", "heading_lines", "strength_lines"):
        v = rec.get(col)
        if isinstance(v, str) and v:
            hi = max(int(x) for x in v.replace(";", "-").split("-"))
            if hi > n_lines:
                out.append(f"{path}: row {i + 2}, column '{col}': found '{v}'; the seed {seed} has {n_lines} lines")
    return out


def check_statements(st: pd.DataFrame, table_rows, path, table: str, n_lines: int | None = None) -> list[str]:
    """Every statement belongs to a row of the coded table (``table_rows``) and its seed lines lie
    inside the seed (``n_lines``, when the seed is at hand)."""
    rows = {str(r) for r in table_rows}
    out = []
    for i, rec in st.iterrows():
        if str(rec["row"]) not in rows:
            out.append(f"{path}: row {i + 2}, column 'row': found {str(rec['row'])!r}; no such row in {table}")
        out += _line_problems(path, i, rec, n_lines, SEED_FILES["holwerda2014"])
        if rec.get("kind") == "text" and isinstance(rec.get("outcome"), str) and rec["outcome"]:
            out.append(f"{path}: row {i + 2}, column 'outcome': a text statement (no arrow) has no outcome as printed")
    return out


def check_findings(f: pd.DataFrame, path, lengths: dict[str, int]) -> list[str]:
    out = []
    for i, rec in f.iterrows():
        doc = rec["source_document"]
        out += _line_problems(path, i, rec, lengths.get(doc), SEED_FILES.get(doc, doc))
        if rec.get("claim_type") in ("effect", "effect modifier") and not (
            isinstance(rec.get("direction"), str) and rec["direction"]
        ):
            out.append(
                f"{path}: row {i + 2}, column 'direction': a claim about an effect needs a direction "
                f"({', '.join(FINDING_DIRECTIONS)})"
            )
    return out


def effect_direction(statements: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """Effect direction table (SWiM): per intervention type x outcome domain, the number of
    statements of each direction and the number of study rows they come from.  A statement
    counts once in every domain the coding gives it; statements without a domain (remarks,
    outcomes the dictionary does not cover) are counted under '(no domain coded)'; only arrow
    statements and statements with a coded direction are counted."""
    s = statements[(statements["kind"] == "arrow") | (statements["direction"] != "unknown")].copy()
    itype = dict(zip(studies["row"].astype(str), studies["intervention_type"]))
    s["intervention_type"] = s["row"].astype(str).map(itype)
    s["domain"] = (
        s["outcome_domains"]
        .fillna("")
        .astype(str)
        .map(lambda x: [d for d in x.split(";") if d] or ["(no domain coded)"])
    )
    s = s.explode("domain")
    rows = []
    for t in sorted(s["intervention_type"].dropna().unique()):
        for d in [*DOMAINS, "(no domain coded)"]:
            g = s[(s["intervention_type"] == t) & (s["domain"] == d)]
            if g.empty:
                continue
            c = g["direction"].value_counts()
            known = {k: int(c.get(k, 0)) for k in DIRECTIONS}
            rows.append(
                {
                    "intervention_type": t,
                    "outcome_domain": d,
                    "n_statements": len(g),
                    "n_study_rows": g["row"].nunique(),
                    **{f"n_{k}": v for k, v in known.items()},
                    "statement_ids": ";".join(g["statement_id"]),
                }
            )
    return pd.DataFrame(rows)
