"""Effect sizes of the coded primary studies, extracted by reviewers into a long-format
table: conversion of whatever a paper reports to Hedges' g (with the formula recorded
per row), harmonised direction (positive = improvement for the family), coverage of the
coded studies, and pooling per outcome domain."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from evsynth.engine import effects as es
from evsynth.review.domains import domain_of
from evsynth.errors import InputError, ModelError, TableProblems
from evsynth.texts import DIRECTION_RULE
from evsynth.engine import rma, rma_mv

__all__ = ["DIRECTION_RULE", "STUDY_MODERATORS", "convert_row", "compute_extracted", "coverage", "pool_by_domain",
           "moderators_by_domain", "extraction_template"]

# study-level moderators named in the seeds, as coded in the study table
STUDY_MODERATORS = [
    {"column": "quality_score", "type": "numeric", "label": "quality score (0-11)"},
    {"column": "design", "type": "categorical", "levels": ["RCT", "quasi-experimental"], "label": "design"},
    {"column": "duration_months", "type": "numeric", "label": "duration (months)"},
    {"column": "contacts_per_week", "type": "numeric", "label": "intensity (contacts per week)"},
    {"column": "caseload", "type": "numeric", "label": "caseload"},
]

OPTIONS = ("means, SDs and n's (m1, sd1, n1, m2, sd2, n2); t with n1, n2; F (1 df) with n1, n2, sign; p with n1, n2, "
           "sign; events1, total1, events2, total2; or with or_ci_lb, or_ci_ub; pre_m, post_m, pre_sd, n_prepost, "
           "prepost_r; d_reported with d_var_reported or n1, n2")


def _has(row, *cols) -> bool:
    return all(c in row and row[c] is not None and not (isinstance(row[c], float) and np.isnan(row[c])) for c in cols)


def convert_row(row: dict) -> tuple[float, float, str]:
    """Hedges' g and its variance from the statistics a row reports, and the formula used."""
    if _has(row, "m1", "sd1", "n1", "m2", "sd2", "n2"):
        r = es.escalc("SMD", m1i=row["m1"], sd1i=row["sd1"], n1i=row["n1"], m2i=row["m2"], sd2i=row["sd2"], n2i=row["n2"])
        return float(r.yi[0]), float(r.vi[0]), "SMD from means and SDs, pooled SD, exact small-sample correction (Hedges' g)"
    if _has(row, "t", "n1", "n2"):
        g, v = es.d_from_t(row["t"], row["n1"], row["n2"])
        return float(g), float(v), "g from independent-samples t: d = t sqrt(1/n1 + 1/n2), Hedges' correction"
    if _has(row, "f", "n1", "n2", "sign"):
        g, v = es.d_from_f(row["f"], row["n1"], row["n2"], sign=row["sign"])
        return float(g), float(v), "g from F(1, df): t = sign sqrt(F), then as from t"
    if _has(row, "p", "n1", "n2", "sign"):
        g, v = es.d_from_p(row["p"], row["n1"], row["n2"], sign=row["sign"])
        return float(g), float(v), "g from two-sided p of a t test with n1 + n2 - 2 df (t = qt(1 - p/2)), then as from t"
    if _has(row, "events1", "total1", "events2", "total2"):
        r = es.escalc("OR", ai=row["events1"], n1i=row["total1"], ci=row["events2"], n2i=row["total2"])
        d, v = es.logor_to_d(r.yi[0], r.vi[0])
        return float(d), float(v), "log OR from events/totals (1/2 added to zero cells), d = log OR sqrt(3)/pi (Hasselblad & Hedges)"
    if _has(row, "or", "or_ci_lb", "or_ci_ub"):
        lo, hi = np.log(row["or_ci_lb"]), np.log(row["or_ci_ub"])
        if not lo < np.log(row["or"]) < hi:
            raise InputError("odds ratio does not lie inside its confidence interval")
        v = ((hi - lo) / (2 * 1.959963984540054)) ** 2
        d, vd = es.logor_to_d(np.log(row["or"]), v)
        return float(d), float(vd), "log OR with variance from the 95% CI ((ln ub - ln lb)/3.92)^2, d = log OR sqrt(3)/pi"
    if _has(row, "pre_m", "post_m", "pre_sd", "n_prepost", "prepost_r"):
        g, v = es.d_from_prepost(row["pre_m"], row["post_m"], row["pre_sd"], row["n_prepost"], row["prepost_r"])
        return float(g), float(v), "standardised mean change (post - pre)/SD_pre with pre-post r, Hedges' correction (single group)"
    if _has(row, "d_reported", "d_var_reported"):
        return float(row["d_reported"]), float(row["d_var_reported"]), "d as reported, with its reported variance"
    if _has(row, "d_reported", "n1", "n2"):
        d = float(row["d_reported"])
        return d, float(es.smd_variance(d, row["n1"], row["n2"])), "d as reported, variance 1/n1 + 1/n2 + d^2/(2(n1+n2))"
    raise InputError(f"effect size without variance and without the statistics to compute one; give one of: {OPTIONS}")


def compute_extracted(eff: pd.DataFrame, studies: pd.DataFrame, path: str = "effects.csv") -> pd.DataFrame:
    """Convert every extraction row; all problems of the file are collected."""
    problems = []
    known = set(studies["study_id"])
    out = []
    for i, row in eff.iterrows():
        rn = int(i) + 2
        rec = row.to_dict()
        if rec["study_id"] not in known:
            problems.append(f"{path}: row {rn}, column 'study_id': unknown study '{rec['study_id']}' "
                            "(not in the coded study table)")
            continue
        try:
            g, v, formula = convert_row(rec)
        except InputError as exc:
            problems.append(f"{path}: row {rn}: {exc}")
            continue
        if not (np.isfinite(g) and np.isfinite(v) and v > 0):
            problems.append(f"{path}: row {rn}: the statistics give no finite effect size with positive variance")
            continue
        flip = rec.get("higher_is_better") is False
        out.append({"effect_id": rec["effect_id"], "study_id": rec["study_id"], "outcome": rec["outcome"],
                    "outcome_domain": rec["outcome_domain"], "timepoint": rec.get("timepoint"),
                    "yi": -g if flip else g, "vi": v, "formula": formula,
                    "direction": "multiplied by -1 (higher score is worse)" if flip else "as computed (higher score is better)",
                    "source_page": rec["source_page"], "coder": rec["coder"]})
    if problems:
        raise TableProblems(path, problems)
    cols = ["effect_id", "study_id", "outcome", "outcome_domain", "timepoint", "yi", "vi", "formula", "direction",
            "source_page", "coder"]
    return pd.DataFrame(out, columns=cols)


def coverage(studies: pd.DataFrame, computed: pd.DataFrame) -> pd.DataFrame:
    n = computed.groupby("study_id").size() if len(computed) else pd.Series(dtype=int)
    rows = []
    for _, s in studies.iterrows():
        k = int(n.get(s["study_id"], 0))
        rows.append({"study_id": s["study_id"], "row": s["row"], "authors": s["authors"], "year": s["year"],
                     "n_articles": s.get("n_articles", 1), "n_effect_sizes": k,
                     "status": "extracted" if k else "not yet extracted"})
    return pd.DataFrame(rows)


def _fit_domain(g: pd.DataFrame, method: str, test: str, level: float, mods=None):
    from evsynth.review.design import build_design

    X = build_design(g, mods, where="extracted effects")[0] if mods else None
    if g["study_id"].nunique() < len(g):
        return rma_mv(g["yi"], g["vi"], [g["study_id"].to_numpy(), g["effect_id"].to_numpy()], X,
                      test="t" if test in ("knha", "adhoc") else "z", level=level, group_names=["study", "effect"])
    return rma(g["yi"], g["vi"], X, method=method, test=test, level=level)


def moderators_by_domain(computed: pd.DataFrame, studies: pd.DataFrame, method: str, test: str, min_k: int,
                         level: float, min_score: int) -> pd.DataFrame:
    """Per outcome domain: a meta-regression on each study-level moderator of the seeds
    (quality, design, duration, intensity, caseload) where the coded table states it, and
    the quality sensitivity filter (studies scoring below ``min_score`` excluded)."""
    cols = ["outcome_domain", "analysis", "term", "k_studies", "estimate", "se", "ci_lb", "ci_ub", "pval", "QM",
            "QMp", "note"]
    if computed.empty:
        return pd.DataFrame([{"outcome_domain": "(all)", "analysis": "moderators and quality filter",
                              "note": "no effect sizes have been extracted yet"}], columns=cols)
    keep = [m["column"] for m in STUDY_MODERATORS if m["column"] in studies.columns]
    data = computed.merge(studies[["study_id"] + keep], on="study_id", how="left")
    rows = []
    for dom, g in data.groupby("outcome_domain", sort=True):
        for m in STUDY_MODERATORS:
            col = m["column"]
            base = {"outcome_domain": dom, "analysis": f"moderator: {m['label']}"}
            if col not in g.columns:
                rows.append({**base, "note": "not coded (the sources do not state it)"})
                continue
            sub = g[g[col].notna()].reset_index(drop=True)
            ks = sub["study_id"].nunique()
            if ks < max(min_k, 3):
                rows.append({**base, "k_studies": ks, "note": f"{ks} studies with a value: too few for a meta-regression"})
                continue
            try:
                f = _fit_domain(sub, method, test, level, mods=[{k: v for k, v in m.items() if k != "label"}])
            except (ModelError, InputError) as exc:
                rows.append({**base, "k_studies": ks, "note": f"not estimated: {exc}"})
                continue
            for j, term in enumerate(f.coef_names):
                rows.append({**base, "term": term, "k_studies": ks, "estimate": f.beta[j], "se": f.se[j],
                             "ci_lb": f.ci_lb[j], "ci_ub": f.ci_ub[j], "pval": f.pval[j], "QM": f.QM, "QMp": f.QMp,
                             "note": ""})
        sub = g[pd.to_numeric(g.get("quality_score"), errors="coerce") >= min_score].reset_index(drop=True)
        base = {"outcome_domain": dom, "analysis": f"quality filter: score >= {min_score}"}
        ks = sub["study_id"].nunique()
        if ks < min_k:
            rows.append({**base, "k_studies": ks, "note": f"{ks} studies pass the filter: fewer than {min_k}"})
            continue
        try:
            f = _fit_domain(sub, method, test, level)
            rows.append({**base, "term": "intrcpt", "k_studies": ks, "estimate": f.estimate, "se": float(f.se[0]),
                         "ci_lb": float(f.ci_lb[0]), "ci_ub": float(f.ci_ub[0]), "pval": float(f.pval[0]),
                         "note": ""})
        except (ModelError, InputError) as exc:
            rows.append({**base, "k_studies": ks, "note": f"not estimated: {exc}"})
    return pd.DataFrame(rows, columns=cols)


def pool_by_domain(computed: pd.DataFrame, method: str, test: str, min_k: int, level: float) -> pd.DataFrame:
    """A random-effects model per outcome domain (three-level, effects within studies,
    where a study contributes several effects)."""
    cols = ["outcome_domain", "k_studies", "k_effects", "model", "estimate", "se", "ci_lb", "ci_ub", "pval",
            "tau2", "I2", "note"]
    if computed.empty:
        return pd.DataFrame([{"outcome_domain": "(all)", "k_studies": 0, "k_effects": 0,
                              "note": "no effect sizes have been extracted yet; nothing is pooled"}], columns=cols)
    rows = []
    for dom, g in computed.groupby("outcome_domain", sort=True):
        ks, ke = g["study_id"].nunique(), len(g)
        base = {"outcome_domain": dom, "k_studies": ks, "k_effects": ke}
        if ks < min_k:
            rows.append({**base, "note": f"{ks} stud{'y' if ks == 1 else 'ies'}: fewer than {min_k}, not pooled"})
            continue
        try:
            if ke > ks:
                f = rma_mv(g["yi"], g["vi"], [g["study_id"].to_numpy(), g["effect_id"].to_numpy()],
                           test="t" if test in ("knha", "adhoc") else "z", level=level, group_names=["study", "effect"])
                rows.append({**base, "model": "three-level (effects within studies)", "estimate": f.estimate,
                             "se": float(f.se[0]), "ci_lb": float(f.ci_lb[0]), "ci_ub": float(f.ci_ub[0]),
                             "pval": float(f.pval[0]), "tau2": f.tau2, "I2": f.I2_multilevel()["total"], "note": ""})
            else:
                f = rma(g["yi"], g["vi"], method=method, test=test, level=level)
                rows.append({**base, "model": f"random effects ({method}, {test})", "estimate": f.estimate,
                             "se": float(f.se[0]), "ci_lb": float(f.ci_lb[0]), "ci_ub": float(f.ci_ub[0]),
                             "pval": float(f.pval[0]), "tau2": f.tau2, "I2": f.I2, "note": ""})
        except ModelError as exc:
            rows.append({**base, "note": f"not pooled: {exc}"})
    return pd.DataFrame(rows, columns=cols)


def extraction_template(studies: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per study x outcome measure listed in the coded table (column
    ``outcome_measures``, the review's "Uitkomstmaten"; list headings such as "Primaire
    uitkomstmaten:" are skipped), identifiers and outcome filled in, statistics empty.
    A table without that column falls back on its effect statements."""
    rows = []
    for _, s in studies.iterrows():
        listed = s.get("outcome_measures")
        if not isinstance(listed, str) or not listed.strip():  # empty cells are read as NaN
            listed = s.get("effect_statements")
            listed = listed.replace("[?]", "") if isinstance(listed, str) else ""
        outcomes = [re.sub(r"\s+", " ", o.strip(" |")).removeprefix("- ").strip() for o in listed.split(" | ")]
        outcomes = [o for o in outcomes if o and not o.endswith(":")]
        if not outcomes:
            outcomes = [""]
        for j, o in enumerate(outcomes, 1):
            r = {c: "" for c in columns}
            r.update({"effect_id": f"{s['study_id']}_{j}", "study_id": s["study_id"], "outcome": o,
                      "outcome_domain": domain_of(o) if o else ""})
            rows.append(r)
    return pd.DataFrame(rows, columns=columns)
