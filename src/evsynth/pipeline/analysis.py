"""Declared pooled analyses: from a dataset and its config entry to effect sizes, model
fits, moderator and sensitivity analyses and diagnostics, each as a table.

Functions here take data frames and a config entry and return data frames; the
command line writes them (see :mod:`evsynth.stages`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import evsynth.engine as eng
from evsynth.review.design import Moderator, build_design
from evsynth.engine.effects import MEASURE_INFO, check_statistics, partial_r_from_t
from evsynth.engine import confint_tau2, escalc, rma, rma_mv, robust, subgroup
from evsynth.errors import InputError, ModelError, quote

__all__ = ["compute_effects", "fit_main", "heterogeneity_table", "moderator_tables", "subgroup_table",
           "diagnostic_tables", "robust_table", "sensitivity_table",
           "randomised_rows", "randomised_tables"]


# measures computed from counts: their counts stay in the effects table (Mantel-Haenszel / Peto pooling)
COUNT_MEASURES = ("OR", "RR", "RD", "PETO", "IRR", "IRD")
# fewest effect sizes before the selection model is fitted (diagnostic selmodel); below it the
# diagnostics notes say so.  With fewer studies the p-value intervals hold too few effects for
# the selection weights to be estimated with any precision.
SELMODEL_MIN_K = 20
MIN_VARIANCE = 1e-10  # smaller sampling variances are refused (weights would overflow)


class _Problems:
    """Every problem of one dataset, in spreadsheet order; raised together."""

    def __init__(self, where: str, rows: np.ndarray):
        self.where, self.rows, self.items = where, rows, []

    def cell(self, mask, col: str, text):
        for i in np.flatnonzero(mask):
            self.items.append((int(self.rows[i]), col, f"{self.where}: row {int(self.rows[i])}, column {quote(col)}: "
                                                      f"{text(int(i))}"))

    def add(self, text: str):
        self.items.append((0, "", f"{self.where}: {text}"))

    def raise_if_any(self):
        if self.items:
            from evsynth.pipeline.io import TableProblems

            self.items.sort(key=lambda t: (t[0], t[1]))
            raise TableProblems(self.where, [m for _, _, m in self.items])


def _numeric(df: pd.DataFrame, col: str, where: str, decimal: str = ".", rows=None,
             problems: _Problems | None = None) -> np.ndarray:
    """The column as numbers; every cell that is not empty and not a finite number is a
    problem (all of them, not only the first)."""
    from evsynth.pipeline.io import parse_numbers

    own = problems is None
    if own:
        problems = _Problems(where, rows if rows is not None else np.arange(len(df)) + 2)
    if col not in df.columns:
        problems.add(f"column {quote(col)} does not exist; columns are: {', '.join(map(str, df.columns))}")
        vals = np.full(len(df), np.nan)
    else:
        raw = df[col].astype(object).where(df[col].notna(), "").astype(str).to_numpy(dtype=object)
        vals, bad = parse_numbers(raw, decimal)
        problems.cell(bad, col, lambda i: f"found {quote(raw[i])}; expected a finite number")
    if own:
        problems.raise_if_any()
    return vals


def _text_col(data: pd.DataFrame, c: str) -> np.ndarray:
    return data[c].astype(object).where(data[c].notna(), "").astype(str).to_numpy(dtype=object)


def compute_effects(data: pd.DataFrame, spec: dict, where: str, *, decimal: str = ".", rows=None) -> pd.DataFrame:
    """Effect sizes for one declared analysis: the study label, yi, vi and every column
    the later stages use (moderators, grouping, clustering).  Every problem of the dataset
    is reported at once (missing columns, cells that are not finite numbers, moderator
    levels the config does not declare, effect sizes that cannot be computed, variances
    that are not positive).  Rows whose statistics are all empty are an error, or, with
    ``drop_incomplete: true`` in the analysis, excluded and listed in the ``dropped``
    attribute (row, study, reason) that the report's exclusions table shows."""
    eff = spec["effect"]
    n = len(data)
    rows = np.asarray(rows if rows is not None and len(rows) == n else np.arange(n) + 2)
    P = _Problems(where, rows)
    label_col = spec.get("study_label")
    if label_col and label_col not in data.columns:
        P.add(f"column {quote(label_col)} (study_label in the config) does not exist; columns are: "
              f"{', '.join(map(str, data.columns))}")
        label_col = None
    labels = (_text_col(data, label_col) if label_col else
              np.array([f"Study {i + 1}" for i in range(n)], dtype=object))
    if "measure" in eff:
        measure = eff["measure"]
        cols = eff["columns"]
        used = list(cols.values())
    else:
        measure = None
        cols = {"yi": eff["yi"], "vi": eff["vi"]}
        used = [eff["yi"], eff["vi"]]
    args = {a: _numeric(data, c, where, decimal, rows, P) for a, c in cols.items()}
    extra = []
    for m in spec.get("moderators", []):
        extra.append(m["column"])
    extra += spec.get("subgroups", [])
    extra += [s["column"] for s in (spec.get("multiverse") or {}).get("subsets", [])]
    extra += spec["model"].get("random", [])
    if spec["model"].get("cluster"):
        extra.append(spec["model"]["cluster"])
    if spec.get("year_column"):
        extra.append(spec["year_column"])
    # columns the certainty rating reads (design, risk of bias, sample size)
    for c in ((spec.get("design") or {}).get("column"), (spec.get("risk_of_bias") or {}).get("column"),
              spec.get("sample_size")):
        if c:
            extra.append(c)
    excl_cols = list(((spec.get("sensitivity") or {}).get("exclude_if") or {}).keys())
    for c in dict.fromkeys(extra + excl_cols):
        if c not in data.columns:
            key = "sensitivity.exclude_if" if c in excl_cols and c not in extra else "the config"
            P.add(f"column {quote(c)} named in {key} does not exist; columns are: {', '.join(map(str, data.columns))}")
    numeric_mods = {}
    for m in spec.get("moderators", []):
        c = m["column"]
        if c not in data.columns:
            continue
        if m["type"] == "numeric":
            # a missing-value marker (empty, "NA", "N/A": io.NA_MARKERS, as the table reader reads them) is missing;
            # the moderator models leave such rows out (R exports write "NA")
            from evsynth.pipeline.io import NA_MARKERS

            col_na = data[c].astype(object).where(~data[c].astype(str).str.strip().isin(NA_MARKERS), "")
            numeric_mods[c] = _numeric(data.assign(**{c: col_na}), c, where, decimal, rows, P)
        elif m.get("levels"):
            vals = _text_col(data, c)
            allowed = [str(x) for x in m["levels"]]
            sv = pd.Series(vals, dtype=object)
            bad = ~sv.isin(allowed + ["", "NA", "N/A", "na", "n/a"]).to_numpy()
            P.cell(bad, c, lambda i, a=allowed, v=vals: f"found {quote(v[i])}; allowed (moderator levels in the "
                                                         f"config): {', '.join(a)}")
    # rows without statistics: excluded only where the config allows it
    present = {c: (_text_col(data, c) != "") if c in data.columns else np.zeros(n, bool) for c in used}
    all_empty = ~np.logical_or.reduce([present[c] for c in used]) if used else np.zeros(n, bool)
    some_empty = ~np.logical_and.reduce([present[c] for c in used]) if used else np.zeros(n, bool)
    drop_ok = bool(spec.get("drop_incomplete", False))
    dropped: list[dict] = []
    for i in np.flatnonzero(some_empty):
        missing_cols = [c for c in used if not present[c][i]]
        if drop_ok and all_empty[i]:
            dropped.append({"row": int(rows[i]), "study": str(labels[i]),
                            "reason": f"no statistics (empty: {', '.join(missing_cols)})"})
        else:
            hint = "" if drop_ok else "; fill it in, delete the row, or set drop_incomplete: true in the analysis"
            if all(c in data.columns for c in missing_cols):
                P.items.append((int(rows[i]), missing_cols[0],
                                f"{where}: row {int(rows[i])}, column {quote(missing_cols[0])}: empty; a value is "
                                f"required (empty: {', '.join(missing_cols)}){hint}"))
    if measure in COUNT_MEASURES:
        for a in cols:
            if a in extra or a in ("study", "yi", "vi", "sei"):
                P.add(f"column {quote(a)} of the effects table holds the count {a} (effect.columns); rename the "
                      f"dataset column {quote(a)} named elsewhere in the config")
    P.raise_if_any()
    if measure is not None and measure != "PCOR":
        try:
            check_statistics(measure, args, columns=cols, first_row=2)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    with np.errstate(all="ignore"):
        if measure == "PCOR":
            yi, vi = partial_r_from_t(args["ti"], args["ni"], args["mi"])
        elif measure is not None:
            r = escalc(measure, **args)
            yi, vi = r.yi, r.vi
        else:
            yi, vi = args["yi"], args["vi"]
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    keep = ~some_empty
    uncomputable = keep & ~(np.isfinite(yi) & np.isfinite(vi))
    P.cell(uncomputable, used[0], lambda i: f"no finite effect size can be computed from "
                                            f"{', '.join(f'{c}={quote(_text_col(data, c)[i])}' for c in used)}")
    okv = keep & ~uncomputable
    P.cell(okv & (vi <= 0), used[-1], lambda i: f"study {quote(labels[i])}: sampling variance {vi[i]:g} is not positive")
    P.cell(okv & (vi > 0) & (vi < MIN_VARIANCE), used[-1],
           lambda i: f"study {quote(labels[i])}: sampling variance {vi[i]:g} is below {MIN_VARIANCE:g}; "
                     "check the column (a variance, not a standard error?)")
    P.raise_if_any()
    flip = bool(spec["direction"]["flip"])
    if flip:
        yi = -yi
    out = pd.DataFrame({"study": labels, "yi": yi, "vi": vi})
    if measure in COUNT_MEASURES:  # the counts themselves, for Mantel-Haenszel / Peto pooling (diagnostics mh, peto)
        for a in cols:
            out[a] = args[a]
    for c in dict.fromkeys(extra + excl_cols):  # sensitivity columns too: the fit stage filters on them
        out[c] = numeric_mods[c] if c in numeric_mods else data[c].to_numpy()
    out = out.loc[keep].reset_index(drop=True)
    out["sei"] = np.sqrt(out["vi"])
    out.attrs["dropped"] = dropped
    out.attrs["measure"] = measure
    return out


def _groups(eff: pd.DataFrame, spec: dict):
    return [eff[c].to_numpy() for c in spec["model"]["random"]]


# Fewest independent studies before a model of each type is fitted (an analysis may raise
# it with ``min_k``); below FEW_STUDIES the report says the result rests on few studies.
MIN_STUDIES = {"univariate": 2, "multilevel": 3}
FEW_STUDIES = 5


def n_studies(eff: pd.DataFrame, spec: dict) -> int:
    """Independent studies: top-level clusters of a multilevel model, else effect sizes."""
    m = spec["model"]
    if m["type"] == "multilevel":
        return int(pd.Series(eff[m["random"][0]]).nunique())
    return int(len(eff))


def min_studies(spec: dict) -> int:
    return int(spec.get("min_k", MIN_STUDIES[spec["model"]["type"]]))


def fit_main(eff: pd.DataFrame, spec: dict, level: float = 95.0, mods=None):
    """The declared model (univariate or multilevel), optionally with moderators."""
    m = spec["model"]
    n, need = n_studies(eff, spec), min_studies(spec)
    if n < need:
        raise ModelError(f"{spec['id']}: {n} {'study' if n == 1 else 'studies'}; a {m['type']} model is fitted from {need} studies on "
                         f"(minimum k for this analysis type)")
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
    if spec:
        row["n_studies"] = n_studies_fit(fit, spec)
        row["fewer_than_5_studies"] = bool(row["n_studies"] < FEW_STUDIES)
    measure = (spec or {}).get("effect", {}).get("measure")
    if measure in ("OR", "RR", "PETO", "ROM"):
        for c in ("estimate", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
            row[f"{c}_exp"] = float(np.exp(row[c])) if row[c] is not None else None
    return pd.DataFrame([row])


def n_studies_fit(fit, spec: dict) -> int:
    if hasattr(fit, "sigma2"):
        return int(fit.s_nlevels[0])
    return int(fit.k)


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


def carrying(eff: pd.DataFrame, cols: list[str], spec: dict) -> tuple[pd.DataFrame, str | None]:
    """The rows that carry every moderator of ``cols``, and why no meta-regression is fitted on
    them where fewer than the analysis's ``moderator_min_studies`` independent studies do (None
    when it may be fitted)."""
    sub = eff.dropna(subset=cols)
    sub = sub[~sub[cols].astype(str).apply(lambda s: s.str.strip().eq("")).any(axis=1)].reset_index(drop=True)
    need = int(spec.get("moderator_min_studies", 0))
    k = n_studies(sub, spec) if len(sub) else 0
    if k < need:
        return sub, (f"{' + '.join(cols)}: {plural_studies(k)} {'carries' if k == 1 else 'carry'} it; "
                     f"a meta-regression needs at least {need} "
                     "(moderator_min_studies): not tested")
    return sub, None


def plural_studies(k: int) -> str:
    return f"{k} stud{'y' if k == 1 else 'ies'}"


def moderator_tables(eff: pd.DataFrame, spec: dict, level: float) -> tuple[pd.DataFrame, list[str]]:
    """One meta-regression per declared moderator, plus each declared joint model.
    Moderators that cannot be estimated on these data, or that too few studies carry, are
    reported, not dropped silently."""
    rows = []
    notes = []
    mods = {m["column"]: m for m in spec.get("moderators", [])}
    models = [[c] for c in mods] + [list(c) for c in spec.get("meta_regression", [])]
    for cols in models:
        label = " + ".join(cols)
        sub, why = carrying(eff, cols, spec)
        if why:
            notes.append(why)
            continue
        try:
            fit = fit_main(sub.reset_index(drop=True), spec, level, mods=[mods[c] for c in cols])
        except (ModelError, InputError) as exc:
            notes.append(f"{label}: not estimated ({exc})")
            continue
        rows.append(coef_rows(fit, label))
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()), notes


def _multilevel_subgroups(sub: pd.DataFrame, spec: dict, col: str, level: float) -> tuple[pd.DataFrame, list[str]]:
    """The declared multilevel model fitted separately within each level of ``col`` (levels
    with fewer than the minimum number of studies are listed in the notes); the test of
    differences between levels is the moderator model of ``col`` (if declared)."""
    rows, notes = [], []
    for lev in sorted(sub[col].astype(str).unique()):
        part = sub[sub[col].astype(str) == lev].reset_index(drop=True)
        try:
            f = fit_main(part, spec, level)
        except (ModelError, InputError) as exc:
            notes.append(f"{col} = {lev}: not pooled ({exc})")
            continue
        rows.append({"subgroup_variable": col, "group": lev, "k": f.k, "n_studies": n_studies_fit(f, spec),
                     "estimate": f.estimate, "se": float(f.se[0]), "ci_lb": float(f.ci_lb[0]),
                     "ci_ub": float(f.ci_ub[0]), "pval": float(f.pval[0]), "tau2": f.tau2,
                     "between_test": "see the moderator model of this column"})
    return pd.DataFrame(rows), notes


def subgroup_table(eff: pd.DataFrame, spec: dict, level: float) -> tuple[pd.DataFrame, list[str]]:
    out = []
    notes = []
    m = spec["model"]
    for col in spec.get("subgroups", []):
        sub = eff[eff[col].notna() & eff[col].astype(str).str.strip().ne("")]
        if m["type"] == "multilevel":
            t, n2 = _multilevel_subgroups(sub, spec, col, level)
            out.append(t)
            notes += n2
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


# funnel-asymmetry tests and adjustments: run only from an analysis's small_study_min_k studies
SMALL_STUDY_TESTS = ("egger", "begg", "trimfill", "pet_peese", "fsn")


def diagnostic_tables(eff: pd.DataFrame, spec: dict, fit, seed: int, level: float) -> dict[str, pd.DataFrame]:
    """Each declared diagnostic as a table (univariate models; for multilevel models the
    diagnostics that assume independent effects are skipped with a note)."""
    wanted = spec.get("diagnostics", [])
    out: dict[str, pd.DataFrame] = {}
    notes = []
    breadth = {"model_comparison": lambda: _model_comparison_table(eff, spec, level, notes),
               "predictions": lambda: _predictions_table(eff, spec, level, notes)}
    if fit.multilevel:
        breadth["correlated_effects"] = lambda: _correlated_effects_table(eff, spec, level)
        for d in wanted:
            if d in breadth:
                try:
                    out[d] = breadth[d]()
                except (ModelError, InputError) as exc:
                    notes.append({"diagnostic": d, "note": f"not run: {exc}"})
                continue
            notes.append({"diagnostic": d, "note": "not run: assumes independent effect sizes (multilevel model)"})
        out["notes"] = pd.DataFrame(notes, columns=["diagnostic", "note"])
        return out
    labels = eff["study"].tolist()
    y, v = eff["yi"].to_numpy(), eff["vi"].to_numpy()

    def cumulative():
        col = spec.get("year_column")
        if not col:
            raise InputError("cumulative meta-analysis needs year_column in the analysis config")
        return eng.cumul(fit, pd.to_numeric(eff[col], errors="coerce").to_numpy(), slab=labels)

    run = {  # diagnostic (config name) -> the result whose to_frame() is written as <name>.csv
        "egger": lambda: eng.regtest(fit),
        "begg": lambda: eng.ranktest(y, v),
        "trimfill": lambda: eng.trimfill(fit),
        "fsn": lambda: eng.fsn(y, v),
        "leave1out": lambda: eng.leave1out(fit, slab=labels),
        "influence": lambda: eng.influence(fit, slab=labels),
        "cumulative": cumulative,
        "pet_peese": lambda: eng.pet_peese(y, v),
        "confint": lambda: confint_tau2(fit, level),
    }
    for d in wanted:
        try:
            if d in breadth or d in ("selmodel", "correlated_effects"):
                if d == "correlated_effects":
                    notes.append({"diagnostic": d, "note": "not run: needs a multilevel model (model.type multilevel)"})
                elif d == "selmodel" and fit.k < SELMODEL_MIN_K:
                    notes.append({"diagnostic": d, "note": f"not fitted: {fit.k} studies, fewer than the "
                                                          f"{SELMODEL_MIN_K} a selection model needs"})
                else:
                    out[d] = _selmodel_table(fit, spec) if d == "selmodel" else breadth[d]()
                continue
            if d in ("mh", "peto"):
                out[d] = _mh_table(eff, spec, level, d)
                continue
            if d == "permutation":
                out["permutation"] = _permutation_table(eff, spec, seed, level, notes)
                continue
            if d not in run:
                continue
            if d in SMALL_STUDY_TESTS and fit.k < int(spec.get("small_study_min_k", 0)):
                notes.append({"diagnostic": d, "note": f"not run: {fit.k} studies; tests and adjustments for "
                                                       f"small-study effects are run from {spec['small_study_min_k']} "
                                                       "studies (small_study_min_k; Sterne et al. 2011, BMJ 343:d4002)"})
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
        sub, why = carrying(eff, [col], spec)
        if why:
            notes.append({"diagnostic": f"permutation ({col})", "note": why})
            continue
        try:
            f1 = fit_main(sub, spec, level, mods=[m])
            pr = eng.permutest(f1, iterations=int(spec.get("permutations", 1000)), seed=seed)
        except (ModelError, InputError) as exc:
            notes.append({"diagnostic": f"permutation ({col})", "note": str(exc)})
            continue
        t = pr.to_frame()
        t.insert(0, "moderator", col)
        rows.append(t)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _selmodel_table(fit, spec: dict) -> pd.DataFrame:
    """Step-function selection model (one row): estimate, se, CI, tau2 (se, CI), LRT of no
    selection, and the selection weight of each p-value interval (``delta_p_<lo>_<hi>``) with
    its se, CI and p-value of delta = 1 (``se_delta_p_...``, ``ci_lb_delta_p_...``,
    ``ci_ub_delta_p_...``, ``pval_delta_p_...``; empty for the first, fixed at 1)."""
    from evsynth.engine import selmodel

    r = selmodel(fit, steps=spec.get("selmodel_steps", [0.025]))
    t = r.to_frame()
    t["tau2_ci_lb"], t["tau2_ci_ub"] = r.tau2_ci_lb, r.tau2_ci_ub
    lo = 0.0
    for j, (hi, d) in enumerate(zip(r.steps, r.delta)):
        band = f"p_{lo:g}_{hi:g}"
        t[f"delta_{band}"] = d
        for name, vals in (("se", r.se_delta), ("ci_lb", r.delta_ci_lb), ("ci_ub", r.delta_ci_ub),
                           ("pval", r.delta_pval)):
            t[f"{name}_delta_{band}"] = vals[j]
        lo = hi
    t["k"] = r.k
    if spec["effect"].get("measure") in ("OR", "RR", "PETO", "ROM"):
        for c in ("estimate", "ci_lb", "ci_ub"):
            t[f"{c}_exp"] = np.exp(t[c])
    return t


def _mh_table(eff: pd.DataFrame, spec: dict, level: float, kind: str) -> pd.DataFrame:
    """Mantel-Haenszel (``kind`` "mh": the analysis's measure) or Peto (``kind`` "peto":
    odds ratio) equal-effects pooling of the counts kept in the effects table, one row
    (metafor's ``rma.mh`` / ``rma.peto``): estimate, CI, z test, QE/I², k, and for odds
    ratios the Cochran-Mantel-Haenszel test and Tarone's test of homogeneity.  Ratio
    measures also back-transformed (``*_exp``).  Where the analysis flips the direction,
    the estimate and its interval are flipped too (``flipped``)."""
    from evsynth.engine.mh import MH_MEASURES
    from evsynth.engine import rma_mh, rma_peto
    from evsynth.pipeline.config import PETO_MEASURES

    measure = spec["effect"].get("measure")
    allowed = MH_MEASURES if kind == "mh" else PETO_MEASURES
    if measure not in allowed:
        raise InputError(f"diagnostic {kind} pools counts: effect.measure must be one of {', '.join(allowed)} "
                         f"(this analysis: {measure or 'yi/vi given'})")
    counts = {a: eff[a].to_numpy(float) for a in spec["effect"]["columns"]}
    r = rma_mh(measure, level=level, **counts) if kind == "mh" else rma_peto(level=level, **counts)
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


def _with_method(spec: dict, method: str) -> dict:
    return {**spec, "model": {**spec["model"], "method": method}}


def _model_comparison_table(eff: pd.DataFrame, spec: dict, level: float, notes: list) -> pd.DataFrame:
    """Per moderator: ML fits with and without it on the same rows, their AIC/BIC/AICc and
    the likelihood-ratio test (metafor's anova(full, reduced))."""
    from evsynth.engine import anova

    ml = _with_method(spec, "ML")
    rows = []
    for col, m in {m["column"]: m for m in spec.get("moderators", [])}.items():
        sub = eff[eff[col].notna() & eff[col].astype(str).str.strip().ne("")].reset_index(drop=True)
        try:
            r = anova(fit_main(sub, ml, level, mods=[m]), fit_main(sub, ml, level))
        except (ModelError, InputError) as exc:
            notes.append({"diagnostic": f"model_comparison ({col})", "note": str(exc)})
            continue
        rows.append({"moderator": col, "k": r.k, "logLik_with": r.logLik_full, "logLik_without": r.logLik_reduced,
                     "AIC_with": r.AIC_full, "AIC_without": r.AIC_reduced, "BIC_with": r.BIC_full,
                     "BIC_without": r.BIC_reduced, "AICc_with": r.AICc_full, "AICc_without": r.AICc_reduced,
                     "LRT": r.LRT, "df": r.df, "pval": r.pval})
    return pd.DataFrame(rows)


def _predictions_table(eff: pd.DataFrame, spec: dict, level: float, notes: list) -> pd.DataFrame:
    """Predicted average effect at the moderator values of ``predict_at`` (one numeric
    moderator at a time), with confidence and prediction intervals; for log-scale measures
    also back-transformed (pred_exp, ...)."""
    from evsynth.engine import predict

    at = spec.get("predict_at") or {}
    if not at:
        raise InputError("diagnostic predictions needs predict_at (moderator column -> values) in the analysis config")
    mods = {m["column"]: m for m in spec.get("moderators", [])}
    back = MEASURE_INFO.get(spec["effect"].get("measure") or "", (None, None, None))[2] == "exp" and \
        not spec["direction"].get("flip")
    frames = []
    for col, values in at.items():
        m = mods.get(col)
        if m is None or m.get("type", "numeric") != "numeric":
            notes.append({"diagnostic": f"predictions ({col})", "note": "not run: not a numeric moderator of this analysis"})
            continue
        sub = eff[eff[col].notna() & eff[col].astype(str).str.strip().ne("")].reset_index(drop=True)
        try:
            p = predict(fit_main(sub, spec, level, mods=[m]), np.asarray(values, float)[:, None])
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


def _correlated_effects_table(eff: pd.DataFrame, spec: dict, level: float) -> pd.DataFrame:
    """Correlated-and-hierarchical-effects sensitivity analysis (Pustejovsky & Tipton,
    2022): the multilevel model refitted with sampling errors correlated rho within the
    outermost cluster (metafor's vcalc), for each rho of ``rho_values``, with CR2 robust
    inference by that cluster."""
    from evsynth.engine import rma_mv, vcalc
    from evsynth.engine import robust

    random = spec["model"]["random"]
    cluster_col = spec["model"].get("cluster") or random[0]
    groups = [eff[c].to_numpy() for c in random]
    cluster = eff[cluster_col].to_numpy()
    y, v = eff["yi"].to_numpy(), eff["vi"].to_numpy()
    rows = []
    for rho in spec.get("rho_values", [0.0, 0.2, 0.4, 0.6, 0.8]):
        f = rma_mv(y, v, groups, method=spec["model"]["method"], test="t" if spec["model"]["test"] == "t" else "z",
                   level=level, group_names=random, V=vcalc(v, cluster, rho=float(rho)))
        r = robust(f, cluster)
        row = {"rho": float(rho), "k": f.k, "estimate": f.estimate, "se": float(f.se[0]),
               "ci_lb": float(f.ci_lb[0]), "ci_ub": float(f.ci_ub[0]), "pval": float(f.pval[0])}
        row.update({f"sigma2_{n}": float(s) for n, s in zip(f.s_names, f.sigma2)})
        row.update({"robust_se": float(r.se[0]), "robust_df": float(np.atleast_1d(r.df)[0]),
                    "robust_ci_lb": float(r.ci_lb[0]), "robust_ci_ub": float(r.ci_ub[0]),
                    "robust_pval": float(r.pval[0]), "clusters": r.n_clusters})
        rows.append(row)
    return pd.DataFrame(rows)


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


def randomised_tables(eff: pd.DataFrame, spec: dict, level: float):
    """The main model refitted on the randomised studies of a mixed-design body: its
    heterogeneity row and model weights (both empty when :func:`randomised_rows` is None or
    the refit fails; the failure is returned as a note)."""
    mask = randomised_rows(eff, spec)
    if mask is None:
        return pd.DataFrame(), pd.DataFrame(), []
    sub = eff[mask].reset_index(drop=True)
    try:
        f = fit_main(sub, spec, level)
    except (ModelError, InputError) as exc:
        return pd.DataFrame(), pd.DataFrame(), [f"randomised studies only: not fitted ({exc})"]
    weights = sub[["study", "yi", "vi"]].copy()
    if f.model_weights() is not None:
        weights["weight"] = f.model_weights()
    het = heterogeneity_table(f, spec)
    # the funnel checks the analysis declares, on this body too (GRADE's publication-bias domain)
    wanted = spec.get("diagnostics") or []
    if not f.multilevel:
        for d, run, cols in (("egger", eng.regtest, ("pval",)),
                             ("trimfill", eng.trimfill, ("k0", "estimate", "ci_lb", "ci_ub"))):
            if d in wanted:
                try:
                    row = run(f).to_frame().iloc[0]
                except (ModelError, InputError):
                    continue
                for c in cols:
                    het[f"{d}_{c}"] = row[c]
    return het, weights, []


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
        except (ModelError, InputError) as exc:  # the table belongs to the analysis: its id is not repeated
            rows.append({"analysis": label, "k": int(keep.sum()), "note": str(exc).removeprefix(f"{spec['id']}: ")})
            continue
        rows.append({"analysis": label, "k": f.k, "estimate": f.estimate, "se": float(f.se[0]),
                     "ci_lb": float(f.ci_lb[0]), "ci_ub": float(f.ci_ub[0]), "pval": float(f.pval[0]),
                     "tau2": f.tau2, "note": ""})
    return pd.DataFrame(rows)


def moderator_specs(spec: dict) -> list[Moderator]:
    return [Moderator.from_spec(m) for m in spec.get("moderators", [])]
