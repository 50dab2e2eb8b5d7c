"""The pooled results that published meta-analyses on these families report (not per-study
data, never pooled here): the table as typed, each row with its verbatim sentence and
address, and a caveat derived from its metric column by the rules in :func:`caveat`."""

from __future__ import annotations

import pandas as pd

__all__ = ["published_table", "caveat"]

COLUMNS = ["review", "k_studies", "k_es", "N", "outcome", "estimate", "metric", "source_url", "verbatim"]


def caveat(metric: str, verbatim: str) -> str:
    """Derived caveat (rules, in order): a pre-post metric -> no control group; a percentage
    -> a rate among served families, not an effect against a control; no value -> the
    abstract gives none; a d -> a pooled effect against control or comparison conditions as
    the review defines them."""
    m = (metric or "").lower()
    v = (verbatim or "").lower()
    if "pre-post" in m or "no control" in m or "pre-post" in v:
        return "pre-post design without a control group: change over time, not an effect of the programme"
    if "percent" in m:
        return "a percentage of served families, not an effect against a control group"
    if "not in abstract" in m or "value not" in m:
        return "the abstract gives no pooled value"
    if "pretest-controlled" in v or "gecontroleerd" in v:
        return "controlled for pretest differences (as the review reports); unpublished thesis"
    return "pooled effect size as the review reports it (its own inclusion criteria and comparison conditions)"


def published_table(df: pd.DataFrame) -> pd.DataFrame:
    """Rows as typed; "same" in source_url / verbatim resolved to the row above (the file's
    own back-reference); ``caveat_derived`` added by :func:`caveat`."""
    out = df[COLUMNS].copy().astype(object)
    for col in ("source_url", "verbatim"):
        last = ""
        vals = []
        for v in out[col].fillna("").astype(str):
            if v.strip().lower() == "same":
                v = last
            last = v
            vals.append(v)
        out[col] = vals
    out["caveat_derived"] = [caveat(str(m), str(v)) for m, v in zip(out["metric"], out["verbatim"])]
    out.insert(0, "source_row", range(2, len(out) + 2))
    return out
