"""A pooled result set beside what the reviewers concluded: for an analysis that names findings
of the coded conclusions (``review_findings`` in its config: ids of ``findings.csv``), one row
per finding with the finding's own direction and claim, the pooled estimate with its CI and
certainty, and whether the two agree, in one rule-based sentence.

The rule compares directions only (never sizes: a conclusion that effects are "small" or
"limited" is compared for its direction, and the sentence says "in direction"):

* a finding coded positive (``positive``, ``possibly positive``, ``limited positive``) agrees
  with a pooled effect whose CI lies above no effect, is *not confirmed* by one whose CI
  includes no effect, and is *contradicted* by one whose CI lies below;
* a finding coded as no effect (``none``, ``possibly none``) agrees with a CI that includes no
  effect and does not agree with one that excludes it;
* ``negative`` mirrors ``positive``; ``mixed``, ``unknown`` or an uncoded direction is not
  compared (the row says so)."""

from __future__ import annotations

import pandas as pd

__all__ = ["COLUMNS", "POSITIVE", "NONE", "agreement", "compare_with_findings"]

COLUMNS = [
    "analysis",
    "finding_id",
    "section",
    "finding_direction",
    "claim_en",
    "claim_nl",
    "estimate",
    "ci_lb",
    "ci_ub",
    "certainty",
    "agreement",
    "sentence",
]

POSITIVE = ("positive", "possibly positive", "limited positive")
NONE = ("none", "possibly none")
NEGATIVE = ("negative", "possibly negative")


def agreement(direction: str, ci_lb: float, ci_ub: float) -> tuple[str, str]:
    """(``agrees`` / ``not confirmed`` / ``contradicted`` / ``does not agree`` / ``not compared``,
    the reason in words) for a finding's coded direction and a pooled CI (positive = better)."""
    d = (direction or "").strip()
    above, below = ci_lb > 0, ci_ub < 0
    where = (
        "the pooled CI lies above no effect"
        if above
        else "the pooled CI lies below no effect"
        if below
        else "the pooled CI includes no effect"
    )
    if d in POSITIVE:
        return ("agrees" if above else "contradicted" if below else "not confirmed"), where
    if d in NEGATIVE:
        return ("agrees" if below else "contradicted" if above else "not confirmed"), where
    if d in NONE:
        return ("agrees" if not (above or below) else "does not agree"), where
    return "not compared", f"the finding's direction is coded '{d or 'none given'}'"


SENTENCE = {
    "agrees": "In direction, the pooled result agrees with this conclusion: {where}.",
    "not confirmed": "In direction, the pooled result does not confirm this conclusion: {where}.",
    "contradicted": "In direction, the pooled result contradicts this conclusion: {where}.",
    "does not agree": "In direction, the pooled result does not agree with this conclusion: {where}.",
    "not compared": "Not compared: {where}.",
}


def compare_with_findings(pooled: dict, findings: pd.DataFrame, ids: list[str], analysis: str) -> pd.DataFrame:
    """One row per finding id: the finding (id, section, direction, claim in Dutch and the coders'
    English), the pooled result (estimate, CI, certainty) and the agreement with its sentence.
    An id absent from the findings table is an error naming it."""
    from evsynth.errors import InputError

    by_id = findings.set_index("finding_id")
    rows = []
    for fid in ids:
        if fid not in by_id.index:
            raise InputError(
                f"analysis '{analysis}': review_findings names '{fid}', which is not a finding_id of the findings table"
            )
        f = by_id.loc[fid]
        verdict, where = agreement(
            str(f.get("direction") or "") if pd.notna(f.get("direction")) else "",
            float(pooled["ci_lb"]),
            float(pooled["ci_ub"]),
        )
        rows.append(
            {
                "analysis": analysis,
                "finding_id": fid,
                "section": f.get("section"),
                "finding_direction": f.get("direction") if pd.notna(f.get("direction")) else "",
                "claim_en": f.get("claim_en_translation"),
                "claim_nl": f.get("claim_nl"),
                "estimate": float(pooled["estimate"]),
                "ci_lb": float(pooled["ci_lb"]),
                "ci_ub": float(pooled["ci_ub"]),
                "certainty": pooled.get("certainty", ""),
                "agreement": verdict,
                "sentence": SENTENCE[verdict].format(where=where),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
