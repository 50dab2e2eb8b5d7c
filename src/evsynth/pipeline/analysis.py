"""The tables of the fit stage of one analysis: the declared model (coefficients,
heterogeneity, study weights), one meta-regression per moderator and the joint models,
subgroups, cluster-robust inference, sensitivity refits and the randomised-studies body,
and the tables the figures draw (:mod:`evsynth.pipeline.figdata`).

Every function takes an :class:`evsynth.pipeline.job.AnalysisJob` (each model fitted once per
job) and returns data frames; :func:`fit_tables` returns them all by catalogue name
(:mod:`evsynth.catalog`), and the ``fit`` stage writes them."""

from __future__ import annotations

import numpy as np
import pandas as pd

import evsynth.engine as eng
from evsynth.engine import robust, subgroup
from evsynth.errors import InputError, ModelError
from evsynth.pipeline.figdata import figure_tables
from evsynth.pipeline.job import FEW_STUDIES, AnalysisJob, n_studies_fit, pooled_row

__all__ = [
    "fit_tables",
    "heterogeneity_table",
    "coef_rows",
    "moderator_tables",
    "subgroup_table",
    "robust_table",
    "sensitivity_table",
    "study_weights",
    "randomised_rows",
    "randomised_tables",
]

RATIO_MEASURES = ("OR", "RR", "PETO", "ROM")  # pooled on the log scale: estimates also back-transformed (*_exp)


def heterogeneity_table(fit, spec: dict | None = None) -> pd.DataFrame:
    """One row: the pooled estimate (:func:`evsynth.pipeline.job.pooled_row`), its prediction
    interval, Q, tau2 and I2 (per level for a multilevel model), the number of studies."""
    row = {
        **pooled_row(fit, "k", "estimate", "se", "ci_lb", "ci_ub", "stat", "pval"),
        "df": fit.df if fit.df is not None else np.nan,
        "pi_lb": fit.pi_lb,
        "pi_ub": fit.pi_ub,
        "QE": fit.QE,
        "QE_df": fit.k - fit.p,
        "QEp": fit.QEp,
        "method": fit.method,
        "test": fit.test,
    }
    if fit.multilevel:
        i2 = fit.I2_multilevel()
        row.update({"tau2": fit.tau2, "I2": i2["total"], "H2": np.nan})
        for j, (nm, s) in enumerate(zip(fit.s_names, fit.sigma2), 1):
            row[f"sigma2_{j}"] = float(s)
            row[f"sigma2_{j}_name"] = nm
            row[f"I2_level{j}"] = i2[nm]
            row[f"nlevels_{j}"] = fit.s_nlevels[j - 1]
    else:
        row.update({"tau2": fit.tau2, "se_tau2": fit.se_tau2, "I2": fit.I2, "H2": fit.H2})
    if spec:
        row["n_studies"] = n_studies_fit(fit, spec)
        row["fewer_than_5_studies"] = bool(row["n_studies"] < FEW_STUDIES)
    measure = (spec or {}).get("effect", {}).get("measure")
    if measure in RATIO_MEASURES:
        for c in ("estimate", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
            row[f"{c}_exp"] = float(np.exp(row[c])) if row[c] is not None else None
    return pd.DataFrame([row])


def coef_rows(fit, model_label: str) -> pd.DataFrame:
    t = fit.to_frame().rename(columns={fit.coefs.stat_name: "stat"})
    t.insert(0, "model", model_label)
    t["k"] = fit.k
    t["QM"] = fit.QM
    t["QM_df1"] = fit.QMdf[0]
    t["QM_df2"] = fit.QMdf[1] if fit.QMdf[1] is not None else np.nan
    t["QMp"] = fit.QMp
    t["QE"] = fit.QE
    t["QEp"] = fit.QEp
    t["tau2"] = fit.tau2
    t["R2"] = getattr(fit, "R2", None)
    return t


def moderator_tables(job: AnalysisJob) -> tuple[pd.DataFrame, list[str]]:
    """One meta-regression per declared moderator, plus each declared joint model.
    Moderators that cannot be estimated on these data, or that too few studies carry, are
    reported, not dropped silently."""
    rows = []
    notes = []
    models = [[c] for c in job.moderators] + [list(c) for c in job.spec.get("meta_regression", [])]
    for cols in models:
        label = " + ".join(cols)
        why = job.too_few_carry(cols)
        if why:
            notes.append(why)
            continue
        try:
            fit = job.model(cols)
        except (ModelError, InputError) as exc:
            notes.append(f"{label}: not estimated ({exc})")
            continue
        rows.append(coef_rows(fit, label))
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()), notes


def _multilevel_subgroups(job: AnalysisJob, col: str) -> tuple[pd.DataFrame, list[str]]:
    """The declared multilevel model fitted separately within each level of ``col`` (levels
    with fewer than the minimum number of studies are listed in the notes); the test of
    differences between levels is the moderator model of ``col`` (if declared)."""
    rows, notes = [], []
    sub = job.rows_with([col])
    for lev in sorted(sub[col].astype(str).unique()):
        try:
            f = job.subset((sub[col].astype(str) == lev).to_numpy(), of=sub).fit
        except (ModelError, InputError) as exc:
            notes.append(f"{col} = {lev}: not pooled ({exc})")
            continue
        rows.append(
            {
                "subgroup_variable": col,
                "group": lev,
                "k": f.k,
                "n_studies": n_studies_fit(f, job.spec),
                **pooled_row(f, "estimate", "se", "ci_lb", "ci_ub", "pval", "tau2"),
                "between_test": "see the moderator model of this column",
            }
        )
    return pd.DataFrame(rows), notes


def subgroup_table(job: AnalysisJob) -> tuple[pd.DataFrame, list[str]]:
    """Each subgroup column: the model pooled within each of its levels, and the test of
    differences between them (univariate models: metafor's subgroup analysis)."""
    out = []
    notes = []
    m = job.spec["model"]
    for col in job.spec.get("subgroups", []):
        if job.multilevel:
            t, n2 = _multilevel_subgroups(job, col)
            out.append(t)
            notes += n2
            continue
        sub = job.rows_with([col])
        try:
            sg = subgroup(
                sub["yi"], sub["vi"], sub[col].astype(str), method=m["method"], test=m["test"], level=job.level
            )
        except (ModelError, InputError) as exc:
            notes.append(f"{col}: not estimated ({exc})")
            continue
        t = sg.to_frame()
        t.insert(0, "subgroup_variable", col)
        out.append(t)
    return (pd.concat(out, ignore_index=True) if out else pd.DataFrame()), notes


def robust_table(job: AnalysisJob) -> pd.DataFrame:
    """Cluster-robust (CR2) inference for the main fit by ``model.cluster`` (empty without)."""
    cl = job.spec["model"].get("cluster")
    if not cl:
        return pd.DataFrame()
    r = robust(job.fit, job.eff[cl].to_numpy())
    t = r.to_frame()
    t["n_clusters"] = r.n_clusters
    t["k"] = r.k
    return t


def study_weights(eff: pd.DataFrame, fit) -> pd.DataFrame:
    """Each effect size with its model weight in percent (no weight column where the model
    has none per effect size: multilevel models)."""
    weights = eff[["study", "yi", "vi"]].copy()
    if fit.model_weights() is not None:
        weights["weight"] = fit.model_weights()
    return weights


def randomised_rows(eff: pd.DataFrame, spec: dict):
    """The rows of a mixed-design body that come from randomised studies (a boolean mask), or
    None when the analysis declares no design column, every row is randomised, or fewer than
    two rows are.  GRADE rates randomised and non-randomised bodies of evidence separately
    (Cuello-Garcia et al. 2022, GRADE guidance 24, J Clin Epidemiol 142:200-208): the
    randomised body starts at high certainty, the mixed body at low."""
    d = spec.get("design") or {}
    col = d.get("column")
    if "randomised" in d or not col or col not in eff.columns:
        return None
    mask = eff[col].astype(str).isin([str(v) for v in d.get("randomised_values", [])]).to_numpy()
    if mask.all() or mask.sum() < 2:
        return None
    return mask


def randomised_tables(job: AnalysisJob):
    """The main model refitted on the randomised studies of a mixed-design body: its
    heterogeneity row and model weights (both empty when :func:`randomised_rows` is None or
    the refit fails; the failure is returned as a note)."""
    spec = job.spec
    mask = randomised_rows(job.eff, spec)
    if mask is None:
        return pd.DataFrame(), pd.DataFrame(), []
    part = job.subset(mask)
    try:
        f = part.fit
    except (ModelError, InputError) as exc:
        return pd.DataFrame(), pd.DataFrame(), [f"randomised studies only: not fitted ({exc})"]
    weights = study_weights(part.eff, f)
    het = heterogeneity_table(f, spec)
    # the funnel checks the analysis declares, on this body too (GRADE's publication-bias domain)
    wanted = spec.get("diagnostics") or []
    if not f.multilevel:
        for d, run, cols in (
            ("egger", eng.regtest, ("pval",)),
            ("trimfill", eng.trimfill, ("k0", "estimate", "ci_lb", "ci_ub")),
        ):
            if d in wanted:
                try:
                    row = run(f).to_frame().iloc[0]
                except (ModelError, InputError):
                    continue
                for c in cols:
                    het[f"{d}_{c}"] = row[c]
    return het, weights, []


def sensitivity_table(job: AnalysisJob) -> pd.DataFrame:
    """The main model refitted without the studies matched by each exclusion rule."""
    rules = (job.spec.get("sensitivity") or {}).get("exclude_if", {})
    rows = []
    for col, values in rules.items():
        keep = ~job.eff[col].astype(str).isin([str(v) for v in values])
        label = f"excluding {col} in {values}"
        try:
            f = job.subset(keep).fit
        except (ModelError, InputError) as exc:  # the table belongs to the analysis: its id is not repeated
            rows.append({"analysis": label, "k": int(keep.sum()), "note": str(exc).removeprefix(f"{job.spec['id']}: ")})
            continue
        rows.append({"analysis": label, **pooled_row(f), "note": ""})
    return pd.DataFrame(rows)


def fit_tables(job: AnalysisJob) -> dict[str, pd.DataFrame]:
    """Every table of the fit stage (catalogue names, :func:`evsynth.catalog.outputs` of
    stage ``fit``), from one job: the main fit and each moderator model fitted once."""
    mods, notes1 = moderator_tables(job)
    sub, notes2 = subgroup_table(job)
    rhet, rweights, notes3 = randomised_tables(job)
    return {
        "estimates": coef_rows(job.fit, "intercept only"),
        "heterogeneity": heterogeneity_table(job.fit, job.spec),
        "moderators": mods,
        "subgroups": sub,
        "robust": robust_table(job),
        "sensitivity": sensitivity_table(job),
        "study_weights": study_weights(job.eff, job.fit),
        "randomised_heterogeneity": rhet,
        "randomised_weights": rweights,
        "fit_notes": pd.DataFrame({"note": notes1 + notes2 + notes3}, columns=["note"]),
        **figure_tables(job),
    }
