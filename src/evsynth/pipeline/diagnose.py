"""The diagnostics of one analysis, each as a table: one function per entry of the
registry :data:`evsynth.catalog.DIAGNOSTICS` (which names it as ``"evsynth.pipeline.diagnose:<name>"``).

A diagnostic function takes the analysis job (:class:`evsynth.pipeline.job.AnalysisJob`: the
main fit and the moderator fits made once) and the list of notes (a dict ``diagnostic``,
``note`` per thing it could not do), and returns its table, or a dict of tables when the
registry entry names several.  It raises :class:`ModelError` / :class:`InputError` when it
cannot run (the notes then say ``not run: <why>``) or :class:`NotFitted` with the whole note.

:func:`diagnostic_tables` runs the diagnostics an analysis declares, in its order."""

from __future__ import annotations

from importlib import import_module

import numpy as np
import pandas as pd

from evsynth import catalog
import evsynth.engine as eng
from evsynth.engine.effects import MEASURE_INFO
from evsynth.errors import EvsynthError, InputError, ModelError
from evsynth.pipeline.config import PETO_MEASURES
from evsynth.pipeline.job import AnalysisJob, pooled_row

__all__ = ["diagnostic_tables", "resolve", "NotFitted", "SELMODEL_MIN_K"]

# fewest effect sizes before the selection model is fitted (diagnostic selmodel); below it the
# diagnostics notes say so.  With fewer studies the p-value intervals hold too few effects for
# the selection weights to be estimated with any precision.
SELMODEL_MIN_K = 20


class NotFitted(EvsynthError):
    """A diagnostic that does not apply to these data; the message is the whole note."""


def resolve(dotted: str):
    """The function a registry entry names (``"package.module:function"``)."""
    module, _, name = dotted.partition(":")
    return getattr(import_module(module), name)


def diagnostic_tables(job: AnalysisJob) -> dict[str, pd.DataFrame]:
    """Each diagnostic the analysis declares, as tables by catalogue name, and
    ``diagnostic_notes`` (``notes.csv``: what was not run and why).  A diagnostic that does not apply to
    the model type (registry entry ``models``) is a note; its function is not called."""
    out: dict[str, pd.DataFrame] = {}
    notes: list[dict] = []
    mtype = job.spec["model"]["type"]
    for d in job.spec.get("diagnostics", []):
        entry = catalog.DIAGNOSTICS[d]
        if mtype not in entry.models:
            notes.append({"diagnostic": d, "note": entry.not_run[mtype]})
            continue
        if entry.small_study and job.fit.k < int(job.spec.get("small_study_min_k", 0)):
            notes.append(
                {
                    "diagnostic": d,
                    "note": f"not run: {job.fit.k} studies; tests and adjustments for "
                    f"small-study effects are run from {job.spec['small_study_min_k']} "
                    "studies (small_study_min_k; Sterne et al. 2011, BMJ 343:d4002)",
                }
            )
            continue
        try:
            made = resolve(entry.function)(job, notes)
        except NotFitted as exc:
            notes.append({"diagnostic": d, "note": str(exc)})
            continue
        except (ModelError, InputError) as exc:
            notes.append({"diagnostic": d, "note": f"not run: {exc}"})
            continue
        names = [t.name for t in entry.tables]
        made = made if isinstance(made, dict) else {names[0]: made}
        if sorted(made) != sorted(names):
            raise RuntimeError(f"diagnostic {d} made {sorted(made)}; the catalogue names {names}")
        out.update(made)
    out["diagnostic_notes"] = pd.DataFrame(notes, columns=["diagnostic", "note"])
    return out


def _yv(job: AnalysisJob):
    return job.eff["yi"].to_numpy(), job.eff["vi"].to_numpy()


def _labels(job: AnalysisJob) -> list:
    return job.eff["study"].tolist()


# ------------------------------------------------------------------------------ one per registry entry


def egger(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return eng.regtest(job.fit).to_frame()


def begg(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return eng.ranktest(*_yv(job)).to_frame()


def trimfill(job: AnalysisJob, notes: list) -> dict[str, pd.DataFrame]:
    r = eng.trimfill(job.fit)
    return {"trimfill": r.to_frame(), "trimfill_filled": r.filled_frame()}


def fsn(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return eng.fsn(*_yv(job)).to_frame()


def leave1out(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return eng.leave1out(job.fit, slab=_labels(job)).to_frame()


def influence(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return eng.influence(job.fit, slab=_labels(job)).to_frame()


def cumulative(job: AnalysisJob, notes: list) -> pd.DataFrame:
    col = job.spec.get("year_column")
    if not col:
        raise InputError("cumulative meta-analysis needs year_column in the analysis config")
    return eng.cumul(job.fit, pd.to_numeric(job.eff[col], errors="coerce").to_numpy(), slab=_labels(job)).to_frame()


def pet_peese(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return eng.pet_peese(*_yv(job)).to_frame()


def confint(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return eng.confint_tau2(job.fit, job.level).to_frame()


def permutation(job: AnalysisJob, notes: list) -> pd.DataFrame:
    """A permutation test per declared moderator (one row each) of the job's moderator fit;
    moderators that cannot be tested are added to ``notes``."""
    rows = []
    for col in job.moderators:
        why = job.too_few_carry([col])
        if why:
            notes.append({"diagnostic": f"permutation ({col})", "note": why})
            continue
        try:
            pr = eng.permutest(job.model([col]), iterations=int(job.spec.get("permutations", 1000)), seed=job.seed)
        except (ModelError, InputError) as exc:
            notes.append({"diagnostic": f"permutation ({col})", "note": str(exc)})
            continue
        t = pr.to_frame()
        t.insert(0, "moderator", col)
        rows.append(t)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def selmodel(job: AnalysisJob, notes: list) -> pd.DataFrame:
    """Step-function selection model (one row): estimate, se, CI, tau2 (se, CI), LRT of no
    selection, and the selection weight of each p-value interval (``delta_p_<lo>_<hi>``) with
    its se, CI and p-value of delta = 1 (``se_delta_p_...``, ``ci_lb_delta_p_...``,
    ``ci_ub_delta_p_...``, ``pval_delta_p_...``; empty for the first, fixed at 1)."""
    fit, spec = job.fit, job.spec
    if fit.k < SELMODEL_MIN_K:
        raise NotFitted(f"not fitted: {fit.k} studies, fewer than the {SELMODEL_MIN_K} a selection model needs")
    r = eng.selmodel(fit, steps=spec.get("selmodel_steps", [0.025]))
    t = r.to_frame()
    t["tau2_ci_lb"], t["tau2_ci_ub"] = r.tau2_ci_lb, r.tau2_ci_ub
    lo = 0.0
    for j, (hi, d) in enumerate(zip(r.steps, r.delta)):
        band = f"p_{lo:g}_{hi:g}"
        t[f"delta_{band}"] = d
        for name, vals in (
            ("se", r.se_delta),
            ("ci_lb", r.delta_ci_lb),
            ("ci_ub", r.delta_ci_ub),
            ("pval", r.delta_pval),
        ):
            t[f"{name}_delta_{band}"] = vals[j]
        lo = hi
    t["k"] = r.k
    if spec["effect"].get("measure") in ("OR", "RR", "PETO", "ROM"):
        for c in ("estimate", "ci_lb", "ci_ub"):
            t[f"{c}_exp"] = np.exp(t[c])
    return t


def _counts_table(job: AnalysisJob, kind: str) -> pd.DataFrame:
    """Mantel-Haenszel (``kind`` "mh": the analysis's measure) or Peto (``kind`` "peto":
    odds ratio) equal-effects pooling of the counts kept in the effects table, one row
    (metafor's ``rma.mh`` / ``rma.peto``): estimate, CI, z test, QE/I², k, and for odds
    ratios the Cochran-Mantel-Haenszel test and Tarone's test of homogeneity.  Ratio
    measures also back-transformed (``*_exp``).  Where the analysis flips the direction,
    the estimate and its interval are flipped too (``flipped``)."""
    from evsynth.engine.mh import MH_MEASURES

    spec, eff, level = job.spec, job.eff, job.level
    measure = spec["effect"].get("measure")
    allowed = MH_MEASURES if kind == "mh" else PETO_MEASURES
    if measure not in allowed:
        raise InputError(
            f"diagnostic {kind} pools counts: effect.measure must be one of {', '.join(allowed)} "
            f"(this analysis: {measure or 'yi/vi given'})"
        )
    counts = {a: eff[a].to_numpy(float) for a in spec["effect"]["columns"]}
    r = eng.rma_mh(measure, level=level, **counts) if kind == "mh" else eng.rma_peto(level=level, **counts)
    t = r.to_frame()
    flip = bool(spec["direction"].get("flip"))
    if flip:
        t["estimate"], t["zval"] = -t["estimate"], -t["zval"]
        t["ci_lb"], t["ci_ub"] = -t["ci_ub"].to_numpy(), -t["ci_lb"].to_numpy()
    t["flipped"] = flip
    if r.measure in ("OR", "RR", "IRR", "PETO"):
        for c in ("estimate", "ci_lb", "ci_ub"):
            t[f"{c}_exp"] = np.exp(t[c])
    return t


def mh(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return _counts_table(job, "mh")


def peto(job: AnalysisJob, notes: list) -> pd.DataFrame:
    return _counts_table(job, "peto")


def model_comparison(job: AnalysisJob, notes: list) -> pd.DataFrame:
    """Per moderator: ML fits with and without it on the same rows, their AIC/BIC/AICc and
    the likelihood-ratio test (metafor's anova(full, reduced))."""
    rows = []
    for col in job.moderators:
        try:
            r = eng.anova(job.model([col], method="ML"), job.model([], rows=[col], method="ML"))
        except (ModelError, InputError) as exc:
            notes.append({"diagnostic": f"model_comparison ({col})", "note": str(exc)})
            continue
        rows.append(
            {
                "moderator": col,
                "k": r.k,
                "logLik_with": r.logLik_full,
                "logLik_without": r.logLik_reduced,
                "AIC_with": r.AIC_full,
                "AIC_without": r.AIC_reduced,
                "BIC_with": r.BIC_full,
                "BIC_without": r.BIC_reduced,
                "AICc_with": r.AICc_full,
                "AICc_without": r.AICc_reduced,
                "LRT": r.LRT,
                "df": r.df,
                "pval": r.pval,
            }
        )
    return pd.DataFrame(rows)


def predictions(job: AnalysisJob, notes: list) -> pd.DataFrame:
    """Predicted average effect at the moderator values of ``predict_at`` (one numeric
    moderator at a time, the job's moderator fit), with confidence and prediction intervals;
    for log-scale measures also back-transformed (pred_exp, ...)."""
    spec = job.spec
    at = spec.get("predict_at") or {}
    if not at:
        raise InputError("diagnostic predictions needs predict_at (moderator column -> values) in the analysis config")
    back = MEASURE_INFO.get(spec["effect"].get("measure") or "", (None, None, None))[2] == "exp" and not spec[
        "direction"
    ].get("flip")
    frames = []
    for col, values in at.items():
        m = job.moderators.get(col)
        if m is None or m.get("type", "numeric") != "numeric":
            notes.append(
                {"diagnostic": f"predictions ({col})", "note": "not run: not a numeric moderator of this analysis"}
            )
            continue
        try:
            p = eng.predict(job.model([col]), np.asarray(values, float)[:, None])
        except (ModelError, InputError) as exc:
            notes.append({"diagnostic": f"predictions ({col})", "note": str(exc)})
            continue
        t = p.to_frame()
        t.insert(0, "value", np.asarray(values, float))
        t.insert(0, "moderator", col)
        if back:
            for c in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
                t[f"{c}_exp"] = np.exp(t[c])
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def correlated_effects(job: AnalysisJob, notes: list) -> pd.DataFrame:
    """Correlated-and-hierarchical-effects sensitivity analysis (Pustejovsky & Tipton,
    2022): the multilevel model refitted with sampling errors correlated rho within the
    outermost cluster (metafor's vcalc), for each rho of ``rho_values``, with CR2 robust
    inference by that cluster."""
    spec, eff = job.spec, job.eff
    random = spec["model"]["random"]
    cluster_col = spec["model"].get("cluster") or random[0]
    groups = [eff[c].to_numpy() for c in random]
    cluster = eff[cluster_col].to_numpy()
    y, v = _yv(job)
    rows = []
    for rho in spec.get("rho_values", [0.0, 0.2, 0.4, 0.6, 0.8]):
        f = eng.rma_mv(
            y,
            v,
            groups,
            method=spec["model"]["method"],
            test="t" if spec["model"]["test"] == "t" else "z",
            level=job.level,
            group_names=random,
            V=eng.vcalc(v, cluster, rho=float(rho)),
        )
        r = eng.robust(f, cluster)
        row = {"rho": float(rho), **pooled_row(f, "k", "estimate", "se", "ci_lb", "ci_ub", "pval")}
        row.update({f"sigma2_{n}": float(s) for n, s in zip(f.s_names, f.sigma2)})
        row.update(
            {
                "robust_se": float(r.se[0]),
                "robust_df": float(np.atleast_1d(r.df)[0]),
                "robust_ci_lb": float(r.ci_lb[0]),
                "robust_ci_ub": float(r.ci_ub[0]),
                "robust_pval": float(r.pval[0]),
                "clusters": r.n_clusters,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)
