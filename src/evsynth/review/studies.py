"""Summaries of the coded study tables for the report: study characteristics, quality
scores by design, intervention types, outcome domains, the evidence gap map, the flow
counts and the NJI tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evsynth.review.domains import DOMAINS

__all__ = ["study_characteristics", "quality_by_design", "intervention_types", "outcome_domains", "evidence_gap"]


def study_characteristics(s: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "row",
        "study_id",
        "authors",
        "year",
        "country",
        "intervention",
        "intervention_type",
        "organised_by",
        "design",
        "quality_score",
        "duration_months",
        "contacts_per_month",
        "focus",
        "child_age_min_years",
        "child_age_max_years",
        "n_outcome_measures",
        "outcome_domains",
        "n_effect_statements",
        "source",
    ]
    return s[[c for c in cols if c in s.columns]].copy()


def quality_by_design(s: pd.DataFrame) -> pd.DataFrame:
    """Distribution of published quality scores (0-11) per design, with summary rows."""
    rows = []
    for design, g in s.groupby("design", sort=True):
        q = pd.to_numeric(g["quality_score"], errors="coerce")
        scored = q.dropna()
        rows.append(
            {
                "design": design,
                "n_rows": len(g),
                "n_articles": int(g["n_articles"].sum()),
                "n_scored": int(scored.size),
                "n_no_score_shown": int(q.isna().sum()),
                "mean": float(scored.mean()) if scored.size else np.nan,
                "median": float(scored.median()) if scored.size else np.nan,
                "min": float(scored.min()) if scored.size else np.nan,
                "max": float(scored.max()) if scored.size else np.nan,
                **{f"score_{k}": int((scored == k).sum()) for k in range(12)},
            }
        )
    return pd.DataFrame(rows)


def intervention_types(s: pd.DataFrame) -> pd.DataFrame:
    t = s.groupby(["intervention_type", "design"]).size().unstack(fill_value=0)
    t["total"] = t.sum(axis=1)
    return t.sort_values("total", ascending=False).reset_index()


def _split(col: pd.Series) -> pd.Series:
    return col.fillna("").astype(str).str.split(";").map(lambda x: [v for v in x if v])


def outcome_domains(s: pd.DataFrame) -> pd.DataFrame:
    """Per outcome domain: studies (table rows) that measured it (``outcome_domains``: the
    outcome measures listed and the effect statements), by design, and how many of them
    have an arrow-marked effect statement in it (``effect_domains``, where coded);
    ``least_studied`` marks the coded domain(s) measured by the fewest studies."""
    doms = _split(s["outcome_domains"])
    eff = _split(s["effect_domains"]) if "effect_domains" in s.columns else None
    rct, qe = s["design"] == "RCT", s["design"] == "quasi-experimental"
    rows = []
    for d in [*DOMAINS, None]:
        has = doms.map(lambda x, d=d: d in x) if d else doms.map(len) == 0
        row = {
            "outcome_domain": d or "(no domain coded)",
            "n_studies": int(has.sum()),
            "n_rct": int((has & rct).sum()),
            "n_quasi_experimental": int((has & qe).sum()),
        }
        if eff is not None:
            row["n_with_effect_statement"] = int((has & eff.map(lambda x, d=d: d in x if d else not x)).sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    coded = out["outcome_domain"].isin(DOMAINS)
    out["least_studied"] = coded & (out["n_studies"] == out.loc[coded, "n_studies"].min())
    return out


def evidence_gap(s: pd.DataFrame) -> pd.DataFrame:
    """Outcome domain x intervention type: number of studies (rows) measuring outcomes in the
    domain, and their designs."""
    doms = _split(s["outcome_domains"])
    types = sorted(s["intervention_type"].unique())
    rows = []
    for d in DOMAINS:
        for t in types:
            m = doms.map(lambda x, d=d: d in x) & (s["intervention_type"] == t)
            rows.append(
                {
                    "outcome_domain": d,
                    "intervention_type": t,
                    "n_studies": int(m.sum()),
                    "n_rct": int((m & (s["design"] == "RCT")).sum()),
                    "n_quasi_experimental": int((m & (s["design"] == "quasi-experimental")).sum()),
                }
            )
    return pd.DataFrame(rows)
