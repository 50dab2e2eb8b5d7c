"""Declared pooled analyses: from a dataset and its config entry to effect sizes, model
fits, moderator and sensitivity analyses and diagnostics, each as a table.

Functions here take data frames and a config entry and return data frames; the
command line writes them (see :mod:`evsynth.stages`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evsynth.engine import diagnostics as dg
from evsynth.review.design import Moderator, build_design
from evsynth.engine.effects import MEASURE_INFO, check_statistics, escalc, partial_r_from_t
from evsynth.errors import InputError, ModelError
from evsynth.engine.models import confint_tau2, rma, subgroup
from evsynth.engine.multilevel import rma_mv
from evsynth.engine.robust import robust

__all__ = ["compute_effects", "fit_main", "heterogeneity_table", "moderator_tables", "subgroup_table",
           "diagnostic_tables", "robust_table", "sensitivity_table"]


def _numeric(df: pd.DataFrame, col: str, where: str) -> np.ndarray:
    if col not in df.columns:
        raise InputError(f"{where}: column '{col}' does not exist; columns are: {', '.join(df.columns)}")
    vals = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
    bad = vals.isna() & df[col].astype(str).str.strip().ne("") & df[col].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{where}: row {i + 2}, column '{col}': found '{df[col].iloc[i]}'; expected a number")
    return vals.to_numpy(float)


def compute_effects(data: pd.DataFrame, spec: dict, where: str) -> pd.DataFrame:
    """Effect sizes for one declared analysis: the study label, yi, vi and every column
    the later stages use (moderators, grouping, clustering).  Rows with missing
    statistics are dropped and listed in the ``dropped`` attribute."""
    eff = spec["effect"]
    n = len(data)
    label_col = spec.get("study_label")
    labels = (data[label_col].astype(str).to_numpy() if label_col else
              np.array([f"Study {i + 1}" for i in range(n)], dtype=object))
    if "measure" in eff:
        measure = eff["measure"]
        cols = eff["columns"]
        args = {a: _numeric(data, c, where) for a, c in cols.items()}
        if measure != "PCOR":
            try:
                check_statistics(measure, args, columns=cols, first_row=2)
            except InputError as exc:
                raise InputError(f"{where}: {exc}") from None
        if measure == "PCOR":
            yi, vi = partial_r_from_t(args["ti"], args["ni"], args["mi"])
        else:
            r = escalc(measure, **args)
            yi, vi = r.yi, r.vi
        used = list(cols.values())
    else:
        measure = None
        yi, vi = _numeric(data, eff["yi"], where), _numeric(data, eff["vi"], where)
        used = [eff["yi"], eff["vi"]]
    flip = bool(spec["direction"]["flip"])
    if flip:
        yi = -yi
    out = pd.DataFrame({"study": labels, "yi": yi, "vi": vi})
    extra = []
    for m in spec.get("moderators", []):
        extra.append(m["column"])
    extra += spec.get("subgroups", [])
    extra += spec["model"].get("random", [])
    if spec["model"].get("cluster"):
        extra.append(spec["model"]["cluster"])
    if spec.get("year_column"):
        extra.append(spec["year_column"])
    for c in dict.fromkeys(extra):
        if c not in data.columns:
            raise InputError(f"{where}: column '{c}' named in the config does not exist")
        out[c] = data[c].to_numpy()
    ok = np.isfinite(yi) & np.isfinite(vi)
    for c in used:
        ok &= data[c].notna().to_numpy() & data[c].astype(str).str.strip().ne("").to_numpy()
    dropped = out.loc[~ok, "study"].tolist()
    out = out.loc[ok].reset_index(drop=True)
    bad = np.flatnonzero(out["vi"].to_numpy() <= 0)
    if bad.size:
        raise InputError(f"{where}: study '{out['study'].iloc[bad[0]]}': sampling variance "
                         f"{out['vi'].iloc[bad[0]]:g} is not positive")
    out["sei"] = np.sqrt(out["vi"])
    out.attrs["dropped"] = dropped
    out.attrs["measure"] = measure
    return out


def _groups(eff: pd.DataFrame, spec: dict):
    return [eff[c].to_numpy() for c in spec["model"]["random"]]


def fit_main(eff: pd.DataFrame, spec: dict, level: float = 95.0, mods=None):
    """The declared model (univariate or multilevel), optionally with moderators."""
    m = spec["model"]
    X = None
    if mods:
        X, _ = build_design(eff, mods, where=spec["id"])
    if m["type"] == "multilevel":
        return rma_mv(eff["yi"], eff["vi"], _groups(eff, spec), X, method=m["method"], test=m["test"],
                      level=level, group_names=m["random"])
    return rma(eff["yi"], eff["vi"], X, method=m["method"], test=m["test"], level=level,
               slab=eff["study"].tolist())


def heterogeneity_table(fit, spec: dict | None = None) -> pd.DataFrame:
    row = {"k": fit.k, "estimate": fit.estimate, "se": float(fit.se[0]), "ci_lb": float(fit.ci_lb[0]),
           "ci_ub": float(fit.ci_ub[0]), "stat": float(fit.stat[0]), "pval": float(fit.pval[0]),
           "df": fit.df if fit.df is not None else np.nan, "pi_lb": fit.pi_lb, "pi_ub": fit.pi_ub,
           "QE": fit.QE, "QE_df": fit.k - fit.p, "QEp": fit.QEp, "method": fit.method, "test": fit.test}
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
    measure = (spec or {}).get("effect", {}).get("measure")
    if measure in ("OR", "RR", "PETO", "ROM"):
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


def moderator_tables(eff: pd.DataFrame, spec: dict, level: float) -> tuple[pd.DataFrame, list[str]]:
    """One meta-regression per declared moderator, plus each declared joint model.
    Moderators that cannot be estimated on these data are reported, not dropped silently."""
    rows = []
    notes = []
    mods = {m["column"]: m for m in spec.get("moderators", [])}
    models = [[c] for c in mods] + [list(c) for c in spec.get("meta_regression", [])]
    for cols in models:
        label = " + ".join(cols)
        sub = eff.dropna(subset=cols)
        sub = sub[~sub[cols].astype(str).apply(lambda s: s.str.strip().eq("")).any(axis=1)]
        try:
            fit = fit_main(sub.reset_index(drop=True), spec, level, mods=[mods[c] for c in cols])
        except (ModelError, InputError) as exc:
            notes.append(f"{label}: not estimated ({exc})")
            continue
        rows.append(coef_rows(fit, label))
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()), notes


def subgroup_table(eff: pd.DataFrame, spec: dict, level: float) -> tuple[pd.DataFrame, list[str]]:
    out = []
    notes = []
    m = spec["model"]
    for col in spec.get("subgroups", []):
        sub = eff[eff[col].notna() & eff[col].astype(str).str.strip().ne("")]
        if m["type"] == "multilevel":
            notes.append(f"{col}: subgroup analysis is run for univariate models; use it as a moderator")
            continue
        try:
            sg = subgroup(sub["yi"], sub["vi"], sub[col].astype(str), method=m["method"], test=m["test"], level=level)
        except (ModelError, InputError) as exc:
            notes.append(f"{col}: not estimated ({exc})")
            continue
        t = sg.to_frame()
        t.insert(0, "subgroup_variable", col)
        out.append(t)
    return (pd.concat(out, ignore_index=True) if out else pd.DataFrame()), notes


def robust_table(eff: pd.DataFrame, spec: dict, fit) -> pd.DataFrame:
    cl = spec["model"].get("cluster")
    if not cl:
        return pd.DataFrame()
    r = robust(fit, eff[cl].to_numpy())
    t = r.to_frame()
    t["n_clusters"] = r.n_clusters
    t["k"] = r.k
    return t


def diagnostic_tables(eff: pd.DataFrame, spec: dict, fit, seed: int, level: float) -> dict[str, pd.DataFrame]:
    """Each declared diagnostic as a table (univariate models; for multilevel models the
    diagnostics that assume independent effects are skipped with a note)."""
    wanted = spec.get("diagnostics", [])
    out: dict[str, pd.DataFrame] = {}
    notes = []
    if fit.multilevel:
        for d in wanted:
            notes.append({"diagnostic": d, "note": "not run: assumes independent effect sizes (multilevel model)"})
        out["notes"] = pd.DataFrame(notes)
        return out
    labels = eff["study"].tolist()
    y, v = eff["yi"].to_numpy(), eff["vi"].to_numpy()

    def cumulative():
        col = spec.get("year_column")
        if not col:
            raise InputError("cumulative meta-analysis needs year_column in the analysis config")
        return dg.cumul(fit, pd.to_numeric(eff[col], errors="coerce").to_numpy(), slab=labels)

    run = {  # diagnostic (config name) -> the result whose to_frame() is written as <name>.csv
        "egger": lambda: dg.regtest(fit),
        "begg": lambda: dg.ranktest(y, v),
        "trimfill": lambda: dg.trimfill(fit),
        "fsn": lambda: dg.fsn(y, v),
        "leave1out": lambda: dg.leave1out(fit, slab=labels),
        "influence": lambda: dg.influence(fit, slab=labels),
        "cumulative": cumulative,
        "pet_peese": lambda: dg.pet_peese(y, v),
        "confint": lambda: confint_tau2(fit, level),
    }
    for d in wanted:
        try:
            if d == "permutation":
                out["permutation"] = _permutation_table(eff, spec, seed, level, notes)
                continue
            if d not in run:
                continue
            r = run[d]()
            out[d] = r.to_frame()
            if d == "trimfill":
                out["trimfill_filled"] = r.filled_frame()
        except (ModelError, InputError) as exc:
            notes.append({"diagnostic": d, "note": f"not run: {exc}"})
    out["notes"] = pd.DataFrame(notes, columns=["diagnostic", "note"])
    return out


def _permutation_table(eff: pd.DataFrame, spec: dict, seed: int, level: float, notes: list) -> pd.DataFrame:
    """A permutation test per declared moderator (one row each); moderators that cannot be
    tested are added to ``notes``."""
    rows = []
    for col, m in {m["column"]: m for m in spec.get("moderators", [])}.items():
        sub = eff[eff[col].notna() & eff[col].astype(str).str.strip().ne("")].reset_index(drop=True)
        try:
            f1 = fit_main(sub, spec, level, mods=[m])
            pr = dg.permutest(f1, iterations=int(spec.get("permutations", 1000)), seed=seed)
        except (ModelError, InputError) as exc:
            notes.append({"diagnostic": f"permutation ({col})", "note": str(exc)})
            continue
        t = pr.to_frame()
        t.insert(0, "moderator", col)
        rows.append(t)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def sensitivity_table(eff: pd.DataFrame, spec: dict, level: float) -> pd.DataFrame:
    """The main model refitted without the studies matched by each exclusion rule."""
    rules = (spec.get("sensitivity") or {}).get("exclude_if", {})
    rows = []
    for col, values in rules.items():
        keep = ~eff[col].astype(str).isin([str(v) for v in values])
        sub = eff[keep].reset_index(drop=True)
        label = f"excluding {col} in {values}"
        try:
            f = fit_main(sub, spec, level)
        except (ModelError, InputError) as exc:
            rows.append({"analysis": label, "k": int(keep.sum()), "note": str(exc)})
            continue
        rows.append({"analysis": label, "k": f.k, "estimate": f.estimate, "se": float(f.se[0]),
                     "ci_lb": float(f.ci_lb[0]), "ci_ub": float(f.ci_ub[0]), "pval": float(f.pval[0]),
                     "tau2": f.tau2, "note": ""})
    return pd.DataFrame(rows)


def measure_label(spec: dict) -> str:
    eff = spec["effect"]
    if eff.get("scale"):
        return eff["scale"]
    if eff.get("measure") == "PCOR":
        return "partial correlation"
    if eff.get("measure"):
        return MEASURE_INFO[eff["measure"]][1]
    return "effect size"


def moderator_specs(spec: dict) -> list[Moderator]:
    return [Moderator.from_spec(m) for m in spec.get("moderators", [])]
