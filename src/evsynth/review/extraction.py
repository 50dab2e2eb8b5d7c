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

__all__ = [
    "DIRECTION_RULE",
    "STUDY_MODERATORS",
    "convert_row",
    "compute_extracted",
    "coverage",
    "pool_by_domain",
    "moderators_by_domain",
    "extraction_template",
]

# study-level moderators named in the seeds, as coded in the study table
STUDY_MODERATORS = [
    {"column": "quality_score", "type": "numeric", "label": "quality score (0-11)"},
    {"column": "design", "type": "categorical", "levels": ["RCT", "quasi-experimental"], "label": "design"},
    {"column": "duration_months", "type": "numeric", "label": "duration (months)"},
    {"column": "contacts_per_week", "type": "numeric", "label": "intensity (contacts per week)"},
    {"column": "caseload", "type": "numeric", "label": "caseload"},
]

OPTIONS = (
    "means, SDs and n's (m1, sd1, n1, m2, sd2, n2); t with n1, n2; F (1 df) with n1, n2, sign; p with n1, n2, "
    "sign; events1, total1, events2, total2; or with or_ci_lb, or_ci_ub; md with md_ci_lb, md_ci_ub, n1, n2; "
    "pre_m, post_m, pre_sd, n_prepost, prepost_r; d_reported with d_var_reported or n1, n2"
)


def _has(row, *cols) -> bool:
    return all(c in row and row[c] is not None and not (isinstance(row[c], float) and np.isnan(row[c])) for c in cols)


def sd_from_md_ci(lb, ub, n1, n2) -> float:
    """The pooled SD behind a mean difference's 95% CI (Cochrane Handbook 6.5.2.3, with the t
    quantile of n1 + n2 - 2 degrees of freedom): SE = (ub - lb) / (2 t), SD = SE / sqrt(1/n1 + 1/n2);
    elementwise over arrays."""
    from scipy import stats

    lb, ub, n1, n2 = (np.asarray(x, dtype=float) for x in (lb, ub, n1, n2))
    se = (ub - lb) / (2 * stats.t.ppf(0.975, n1 + n2 - 2))
    sd = se / np.sqrt(1 / n1 + 1 / n2)
    return float(sd) if sd.ndim == 0 else sd


def _p_from_t(t, df) -> float:
    from scipy import stats

    return float(2 * stats.t.sf(abs(float(t)), df))


def _half_unit(x) -> float:
    """Half a unit of the last digit with which ``x`` is written (0.03 -> 0.005; 2.2 -> 0.05):
    the rounding a printed value may carry. The shortest repr of the float is the printed form."""
    text = repr(float(x))
    if "e" in text or "." not in text:
        return 0.5 * 10**-4 if "e" in text else 0.5
    return 0.5 * 10 ** -len(text.split(".")[1].rstrip("0") or "0")


def row_problems(row: dict) -> list[tuple[str, str]]:
    """Statistics of one extraction row that contradict each other, as (column, reason): an
    estimate outside its CI, a CI whose bounds are reversed, events above the group size, a p
    that disagrees with its test statistic beyond rounding (every t or F within half a unit of
    its last written digit, and p within half a unit of its own, is accepted), an approximation
    without a note."""
    out = []
    if _has(row, "or", "or_ci_lb", "or_ci_ub") and not row["or_ci_lb"] <= row["or"] <= row["or_ci_ub"]:
        out.append(("or", f"odds ratio {row['or']:g} lies outside its CI [{row['or_ci_lb']:g}, {row['or_ci_ub']:g}]"))
    if _has(row, "md", "md_ci_lb", "md_ci_ub"):
        if not row["md_ci_lb"] < row["md_ci_ub"]:
            out.append(("md_ci_lb", f"CI bounds reversed or equal: [{row['md_ci_lb']:g}, {row['md_ci_ub']:g}]"))
        elif not row["md_ci_lb"] <= row["md"] <= row["md_ci_ub"]:
            out.append(
                ("md", f"mean difference {row['md']:g} lies outside its CI [{row['md_ci_lb']:g}, {row['md_ci_ub']:g}]")
            )
    for e, n in (("events1", "total1"), ("events2", "total2")):
        if _has(row, e, n) and row[e] > row[n]:
            out.append((e, f"{row[e]:g} events in a group of {row[n]:g}"))
    if _has(row, "p", "n1", "n2") and (_has(row, "t") or _has(row, "f")):
        df = float(row["n1"]) + float(row["n2"]) - 2
        stat = float(row["t"]) if _has(row, "t") else float(row["f"])
        lo_s, hi_s = max(abs(stat) - _half_unit(stat), 0.0), abs(stat) + _half_unit(stat)
        if not _has(row, "t"):
            lo_s, hi_s = np.sqrt(lo_s), np.sqrt(hi_s)
        lo, hi = _p_from_t(hi_s, df), _p_from_t(lo_s, df)
        tol = _half_unit(row["p"])
        if not lo - tol <= float(row["p"]) <= hi + tol:
            stat = f"t = {row['t']:g}" if _has(row, "t") else f"F = {row['f']:g}"
            out.append(("p", f"p = {row['p']:g} disagrees with {stat} on {df:g} df (p between {lo:.4f} and {hi:.4f})"))
    if row.get("approximation") is True and not (
        isinstance(row.get("approximation_note"), str) and row["approximation_note"].strip()
    ):
        out.append(("approximation_note", "an approximated row must say what was derived and how"))
    return out


# the input forms in the order they are tried: (name, columns it needs, formula recorded per row)
FORMS = (
    (
        "means",
        ("m1", "sd1", "n1", "m2", "sd2", "n2"),
        "SMD from means and SDs, pooled SD, exact small-sample correction (Hedges' g)",
    ),
    ("t", ("t", "n1", "n2"), "g from independent-samples t: d = t sqrt(1/n1 + 1/n2), Hedges' correction"),
    ("f", ("f", "n1", "n2", "sign"), "g from F(1, df): t = sign sqrt(F), then as from t"),
    (
        "p",
        ("p", "n1", "n2", "sign"),
        "g from two-sided p of a t test with n1 + n2 - 2 df (t = qt(1 - p/2)), then as from t",
    ),
    (
        "events",
        ("events1", "total1", "events2", "total2"),
        "log OR from events/totals (1/2 added to zero cells), d = log OR sqrt(3)/pi (Hasselblad & Hedges)",
    ),
    (
        "or",
        ("or", "or_ci_lb", "or_ci_ub"),
        "log OR with variance from the 95% CI ((ln ub - ln lb)/3.92)^2, d = log OR sqrt(3)/pi",
    ),
    (
        "md",
        ("md", "md_ci_lb", "md_ci_ub", "n1", "n2"),
        "SMD from a mean difference with its 95% CI: SE = (ub - lb)/(2 qt(.975, n1 + n2 - 2)), "
        "SD = SE/sqrt(1/n1 + 1/n2), then as from means and SDs (Hedges' g)",
    ),
    (
        "prepost",
        ("pre_m", "post_m", "pre_sd", "n_prepost", "prepost_r"),
        "standardised mean change (post - pre)/SD_pre with pre-post r, Hedges' correction (single group)",
    ),
    ("d_var", ("d_reported", "d_var_reported"), "d as reported, with its reported variance"),
    ("d_n", ("d_reported", "n1", "n2"), "d as reported, variance 1/n1 + 1/n2 + d^2/(2(n1+n2))"),
)
STAT_COLUMNS = tuple(dict.fromkeys(c for _, cols, _ in FORMS for c in cols))
OR_OUTSIDE = "odds ratio does not lie inside its confidence interval"
NO_STATISTICS = f"effect size without variance and without the statistics to compute one; give one of: {OPTIONS}"


def _convert(form: str, a: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hedges' g and its variance for rows of one input form, vectorised: ``a`` maps the form's
    columns to float arrays.  Returns (g, v, outside): ``outside`` marks odds ratios outside
    their CI (no effect size).  An engine check that fails raises :class:`InputError`."""
    none = np.zeros(len(next(iter(a.values()))), dtype=bool)
    if form == "means":
        r = es.escalc("SMD", m1i=a["m1"], sd1i=a["sd1"], n1i=a["n1"], m2i=a["m2"], sd2i=a["sd2"], n2i=a["n2"])
        return r.yi, r.vi, none
    if form == "t":
        return (*es.d_from_t(a["t"], a["n1"], a["n2"]), none)
    if form == "f":
        return (*es.d_from_f(a["f"], a["n1"], a["n2"], sign=a["sign"]), none)
    if form == "p":
        return (*es.d_from_p(a["p"], a["n1"], a["n2"], sign=a["sign"]), none)
    if form == "events":
        r = es.escalc("OR", ai=a["events1"], n1i=a["total1"], ci=a["events2"], n2i=a["total2"])
        return (*es.logor_to_d(r.yi, r.vi), none)
    if form == "or":
        lo, hi, lor = np.log(a["or_ci_lb"]), np.log(a["or_ci_ub"]), np.log(a["or"])
        outside = ~((lo < lor) & (lor < hi))
        v = ((hi - lo) / (2 * 1.959963984540054)) ** 2
        return (*es.logor_to_d(lor, v), outside)
    if form == "md":
        sd = sd_from_md_ci(a["md_ci_lb"], a["md_ci_ub"], a["n1"], a["n2"])
        r = es.escalc("SMD", m1i=a["md"], sd1i=sd, n1i=a["n1"], m2i=np.zeros_like(sd), sd2i=sd, n2i=a["n2"])
        return r.yi, r.vi, none
    if form == "prepost":
        return (*es.d_from_prepost(a["pre_m"], a["post_m"], a["pre_sd"], a["n_prepost"], a["prepost_r"]), none)
    if form == "d_var":
        return a["d_reported"].astype(float), a["d_var_reported"].astype(float), none
    d = a["d_reported"].astype(float)
    return d, es.smd_variance(d, a["n1"], a["n2"]), none


def convert_row(row: dict) -> tuple[float, float, str]:
    """Hedges' g and its variance from the statistics a row reports, and the formula used."""
    for form, cols, formula in FORMS:
        if _has(row, *cols):
            g, v, outside = _convert(form, {c: np.array([float(row[c])]) for c in cols})
            if outside[0]:
                raise InputError(OR_OUTSIDE)
            return float(g[0]), float(v[0]), formula
    raise InputError(NO_STATISTICS)


COLUMNS = [
    "effect_id",
    "study_id",
    "outcome",
    "outcome_domain",
    "timepoint",
    "yi",
    "vi",
    "formula",
    "direction",
    "n_total",
    "approximation",
    "approximation_note",
    "adjusted",
    "source_url",
    "source_quote",
    "coder",
]


def _numbers(eff: pd.DataFrame, path: str, rn: np.ndarray, problems: dict) -> dict[str, np.ndarray]:
    """The statistics columns as float arrays (NaN where empty; a column the table lacks is all
    NaN).  A cell that is not a number (possible only in a frame not read by ``load_table``) is
    a problem of its row."""
    out = {}
    for c in STAT_COLUMNS:
        if c not in eff.columns:
            out[c] = np.full(len(eff), np.nan)
            continue
        col = eff[c]
        if col.dtype.kind in "fiu":
            out[c] = col.to_numpy(dtype=float)
            continue
        vals = col.to_numpy(dtype=object)
        given = np.fromiter((v is not None and not (isinstance(v, float) and v != v) for v in vals), bool, len(vals))
        num = pd.to_numeric(pd.Series(vals), errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(given & ~np.isfinite(num)):
            problems.setdefault(int(i), []).append(
                f"{path}: row {rn[i]}, column '{c}': found {vals[i]!r}; expected a number"
            )
        out[c] = np.where(given, num, np.nan)
    return out


def _is(eff: pd.DataFrame, c: str, value: bool) -> np.ndarray:
    """Rows whose cell in column ``c`` is the boolean ``value`` itself (``rec.get(c) is value``)."""
    if c not in eff.columns:
        return np.zeros(len(eff), dtype=bool)
    col = eff[c]
    if col.dtype == bool:
        return col.to_numpy() == value
    return np.fromiter((v is value for v in col.to_numpy(dtype=object)), bool, len(col))


def _half_units(x: np.ndarray) -> np.ndarray:
    """:func:`_half_unit` of every value (computed once per distinct value)."""
    u, inv = np.unique(x, return_inverse=True)
    return np.array([_half_unit(v) for v in u], dtype=float)[inv.reshape(-1)] if len(x) else np.zeros(0)


def _problem_rows(a: dict, h: dict, approx: np.ndarray, note_ok: np.ndarray) -> np.ndarray:
    """Rows for which :func:`row_problems` finds a contradiction (the same tests, vectorised);
    ``h`` marks the cells given."""
    with np.errstate(invalid="ignore"):
        bad = h["or"] & h["or_ci_lb"] & h["or_ci_ub"] & ~((a["or_ci_lb"] <= a["or"]) & (a["or"] <= a["or_ci_ub"]))
        md = h["md"] & h["md_ci_lb"] & h["md_ci_ub"]
        bad |= md & ~(a["md_ci_lb"] < a["md_ci_ub"])
        bad |= md & ~((a["md_ci_lb"] <= a["md"]) & (a["md"] <= a["md_ci_ub"]))
        for e, n in (("events1", "total1"), ("events2", "total2")):
            bad |= h[e] & h[n] & (a[e] > a[n])
    check = np.flatnonzero(h["p"] & h["n1"] & h["n2"] & (h["t"] | h["f"]))
    if len(check):
        from scipy import stats

        is_t = h["t"][check]
        stat = np.where(is_t, a["t"][check], a["f"][check])
        df = a["n1"][check] + a["n2"][check] - 2
        half = _half_units(stat)
        lo_s, hi_s = np.maximum(np.abs(stat) - half, 0.0), np.abs(stat) + half
        lo_s, hi_s = np.where(is_t, lo_s, np.sqrt(lo_s)), np.where(is_t, hi_s, np.sqrt(hi_s))
        lo, hi = 2 * stats.t.sf(hi_s, df), 2 * stats.t.sf(lo_s, df)
        p = a["p"][check]
        tol = _half_units(p)
        bad[check] |= ~((lo - tol <= p) & (p <= hi + tol))
    return bad | (approx & ~note_ok)


def compute_extracted(eff: pd.DataFrame, studies: pd.DataFrame, path: str = "effects.csv") -> pd.DataFrame:
    """Convert every extraction row; all problems of the file are collected (in row order, with
    file, spreadsheet row and column).  Vectorised: the rows are grouped by the input form they
    give and each form is converted over numpy arrays; the messages are those of
    :func:`row_problems` and :func:`convert_row` for the rows concerned."""
    n = len(eff)
    rn = np.asarray(eff.index, dtype=np.int64) + 2 if n else np.zeros(0, dtype=np.int64)
    problems: dict[int, list[str]] = {}
    a = _numbers(eff, path, rn, problems)
    known = set(studies["study_id"])
    ids = eff["study_id"].to_numpy(dtype=object) if n else np.zeros(0, dtype=object)
    ok = np.fromiter((s in known for s in ids), bool, n)
    for i in np.flatnonzero(~ok):
        problems.setdefault(int(i), []).append(
            f"{path}: row {rn[i]}, column 'study_id': unknown study '{ids[i]}' (not in the coded study table)"
        )
    ok[list(problems)] = False
    approx = _is(eff, "approximation", True)
    note = eff["approximation_note"].to_numpy(dtype=object) if "approximation_note" in eff else np.full(n, None)
    note_ok = np.fromiter((isinstance(v, str) and bool(v.strip()) for v in note), bool, n)
    has = {c: ~np.isnan(x) for c, x in a.items()}
    suspect = np.flatnonzero(ok & _problem_rows(a, has, approx, note_ok))
    for i, (_, row) in zip(suspect, eff.iloc[suspect].iterrows()):
        bad = row_problems(row.to_dict())
        if bad:
            problems[int(i)] = [f"{path}: row {rn[i]}, column '{col}': {why}" for col, why in bad]
            ok[i] = False
    g, v = np.full(n, np.nan), np.full(n, np.nan)
    formula = np.full(n, "", dtype=object)
    todo = ok.copy()
    for form, cols, text in FORMS:
        rows = todo & np.logical_and.reduce([has[c] for c in cols])
        todo &= ~rows
        idx = np.flatnonzero(rows)
        if not len(idx):
            continue
        try:
            with np.errstate(all="ignore"):
                gi, vi, outside = _convert(form, {c: a[c][idx] for c in cols})
        except InputError:  # an engine check refused some row: convert one by one for its message
            gi, vi, outside = np.full(len(idx), np.nan), np.full(len(idx), np.nan), np.zeros(len(idx), bool)
            for j, i in enumerate(idx):
                try:
                    with np.errstate(all="ignore"):
                        gi[j], vi[j], _ = convert_row({c: a[c][i] for c in cols})
                except InputError as exc:
                    problems[int(i)] = [f"{path}: row {rn[i]}: {exc}"]
                    ok[i] = False
        for i in idx[outside]:
            problems[int(i)] = [f"{path}: row {rn[i]}: {OR_OUTSIDE}"]
            ok[i] = False
        g[idx], v[idx], formula[idx] = gi, vi, text
    for i in np.flatnonzero(todo):
        problems[int(i)] = [f"{path}: row {rn[i]}: {NO_STATISTICS}"]
        ok[i] = False
    with np.errstate(invalid="ignore"):
        infinite = ok & ~(np.isfinite(g) & np.isfinite(v) & (v > 0))
    for i in np.flatnonzero(infinite):
        problems[int(i)] = [f"{path}: row {rn[i]}: the statistics give no finite effect size with positive variance"]
    if problems:
        raise TableProblems(path, [m for i in sorted(problems) for m in problems[i]])
    if n == 0:
        return pd.DataFrame([], columns=COLUMNS)
    flip = _is(eff, "higher_is_better", False)
    n_total = np.where(
        has["n1"] & has["n2"],
        a["n1"] + a["n2"],
        np.where(has["total1"] & has["total2"], a["total1"] + a["total2"], a["n_prepost"]),
    )

    def text(c):
        return eff[c].to_numpy(dtype=object) if c in eff.columns else np.full(n, None, dtype=object)

    out = pd.DataFrame(
        {
            "effect_id": text("effect_id"),
            "study_id": ids,
            "outcome": text("outcome"),
            "outcome_domain": text("outcome_domain"),
            "timepoint": text("timepoint"),
            "yi": np.where(flip, -g, g),
            "vi": v,
            "formula": formula,
            "direction": np.array(
                ["as computed (higher score is better)", "multiplied by -1 (higher score is worse)"], dtype=object
            )[flip.astype(np.intp)],  # two texts, each row pointing at one (not a text per row)
            "n_total": n_total,
            "approximation": approx,
            "approximation_note": np.where(approx, note, "").astype(object),
            "adjusted": _is(eff, "adjusted", True),
            "source_url": text("source_url"),
            "source_quote": text("source_quote"),
            "coder": text("coder"),
        },
        columns=COLUMNS,
        copy=False,
    )
    for j, c in enumerate(COLUMNS):  # the types a frame of records would infer (all-empty text: float)
        if out[c].dtype == object and pd.api.types.infer_dtype(out[c], skipna=False) != "string":
            out.isetitem(j, out[c].infer_objects())
    return out


def coverage(studies: pd.DataFrame, computed: pd.DataFrame) -> pd.DataFrame:
    n = computed.groupby("study_id").size() if len(computed) else pd.Series(dtype=int)
    rows = []
    for _, s in studies.iterrows():
        k = int(n.get(s["study_id"], 0))
        rows.append(
            {
                "study_id": s["study_id"],
                "row": s["row"],
                "authors": s["authors"],
                "year": s["year"],
                "n_articles": s.get("n_articles", 1),
                "n_effect_sizes": k,
                "status": "extracted" if k else "not yet extracted",
            }
        )
    return pd.DataFrame(rows)


def _fit_domain(g: pd.DataFrame, method: str, test: str, level: float, mods=None):
    from evsynth.review.design import build_design

    X = build_design(g, mods, where="extracted effects")[0] if mods else None
    if g["study_id"].nunique() < len(g):
        return rma_mv(
            g["yi"],
            g["vi"],
            [g["study_id"].to_numpy(), g["effect_id"].to_numpy()],
            X,
            test="t" if test in ("knha", "adhoc") else "z",
            level=level,
            group_names=["study", "effect"],
        )
    return rma(g["yi"], g["vi"], X, method=method, test=test, level=level)


def moderators_by_domain(
    computed: pd.DataFrame, studies: pd.DataFrame, method: str, test: str, min_k: int, level: float, min_score: int
) -> pd.DataFrame:
    """Per outcome domain: a meta-regression on each study-level moderator of the seeds
    (quality, design, duration, intensity, caseload) where the coded table states it, and
    the quality sensitivity filter (studies scoring below ``min_score`` excluded)."""
    cols = [
        "outcome_domain",
        "analysis",
        "term",
        "k_studies",
        "estimate",
        "se",
        "ci_lb",
        "ci_ub",
        "pval",
        "QM",
        "QMp",
        "note",
    ]
    if computed.empty:
        return pd.DataFrame(
            [
                {
                    "outcome_domain": "(all)",
                    "analysis": "moderators and quality filter",
                    "note": "no effect sizes have been extracted yet",
                }
            ],
            columns=cols,
        )
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
                rows.append(
                    {**base, "k_studies": ks, "note": f"{ks} studies with a value: too few for a meta-regression"}
                )
                continue
            try:
                f = _fit_domain(sub, method, test, level, mods=[{k: v for k, v in m.items() if k != "label"}])
            except (ModelError, InputError) as exc:
                rows.append({**base, "k_studies": ks, "note": f"not estimated: {exc}"})
                continue
            for j, term in enumerate(f.coef_names):
                rows.append(
                    {
                        **base,
                        "term": term,
                        "k_studies": ks,
                        "estimate": f.beta[j],
                        "se": f.se[j],
                        "ci_lb": f.ci_lb[j],
                        "ci_ub": f.ci_ub[j],
                        "pval": f.pval[j],
                        "QM": f.QM,
                        "QMp": f.QMp,
                        "note": "",
                    }
                )
        sub = g[pd.to_numeric(g.get("quality_score"), errors="coerce") >= min_score].reset_index(drop=True)
        base = {"outcome_domain": dom, "analysis": f"quality filter: score >= {min_score}"}
        ks = sub["study_id"].nunique()
        if ks < min_k:
            rows.append({**base, "k_studies": ks, "note": f"{ks} studies pass the filter: fewer than {min_k}"})
            continue
        try:
            f = _fit_domain(sub, method, test, level)
            rows.append(
                {
                    **base,
                    "term": "intrcpt",
                    "k_studies": ks,
                    "estimate": f.estimate,
                    "se": float(f.se[0]),
                    "ci_lb": float(f.ci_lb[0]),
                    "ci_ub": float(f.ci_ub[0]),
                    "pval": float(f.pval[0]),
                    "note": "",
                }
            )
        except (ModelError, InputError) as exc:
            rows.append({**base, "k_studies": ks, "note": f"not estimated: {exc}"})
    return pd.DataFrame(rows, columns=cols)


def pool_by_domain(computed: pd.DataFrame, method: str, test: str, min_k: int, level: float) -> pd.DataFrame:
    """A random-effects model per outcome domain (three-level, effects within studies,
    where a study contributes several effects)."""
    cols = [
        "outcome_domain",
        "k_studies",
        "k_effects",
        "model",
        "estimate",
        "se",
        "ci_lb",
        "ci_ub",
        "pval",
        "tau2",
        "I2",
        "note",
    ]
    if computed.empty:
        return pd.DataFrame(
            [
                {
                    "outcome_domain": "(all)",
                    "k_studies": 0,
                    "k_effects": 0,
                    "note": "no effect sizes have been extracted yet; nothing is pooled",
                }
            ],
            columns=cols,
        )
    rows = []
    for dom, g in computed.groupby("outcome_domain", sort=True):
        ks, ke = g["study_id"].nunique(), len(g)
        base = {"outcome_domain": dom, "k_studies": ks, "k_effects": ke}
        if ks < min_k:
            rows.append({**base, "note": f"{ks} stud{'y' if ks == 1 else 'ies'}: fewer than {min_k}, not pooled"})
            continue
        try:
            if ke > ks:
                f = rma_mv(
                    g["yi"],
                    g["vi"],
                    [g["study_id"].to_numpy(), g["effect_id"].to_numpy()],
                    test="t" if test in ("knha", "adhoc") else "z",
                    level=level,
                    group_names=["study", "effect"],
                )
                rows.append(
                    {
                        **base,
                        "model": "three-level (effects within studies)",
                        "estimate": f.estimate,
                        "se": float(f.se[0]),
                        "ci_lb": float(f.ci_lb[0]),
                        "ci_ub": float(f.ci_ub[0]),
                        "pval": float(f.pval[0]),
                        "tau2": f.tau2,
                        "I2": f.I2_multilevel()["total"],
                        "note": "",
                    }
                )
            else:
                f = rma(g["yi"], g["vi"], method=method, test=test, level=level)
                rows.append(
                    {
                        **base,
                        "model": f"random effects ({method}, {test})",
                        "estimate": f.estimate,
                        "se": float(f.se[0]),
                        "ci_lb": float(f.ci_lb[0]),
                        "ci_ub": float(f.ci_ub[0]),
                        "pval": float(f.pval[0]),
                        "tau2": f.tau2,
                        "I2": f.I2,
                        "note": "",
                    }
                )
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
            r.update(
                {
                    "effect_id": f"{s['study_id']}_{j}",
                    "study_id": s["study_id"],
                    "outcome": o,
                    "outcome_domain": domain_of(o) if o else "",
                }
            )
            rows.append(r)
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------------------ analysis datasets

# study-level intensity and caseload: the review's own coding (Bijlage 5) first, then what the
# extraction found (data/extraction/moderators.csv: study's own text, else the programme model's
# documented standard, labelled "programme")
INTENSITY_MODERATORS = {
    "contacts_per_month": ("contacts_per_month", "contacts_per_month_derived"),
    "total_sessions": ("total_sessions",),
    "duration_months": ("duration_months",),
    "caseload": ("caseload",),
}


def programme_name(intervention: str, width: int = 40) -> str:
    """A short programme name for a forest-plot label: the intervention's name up to its first
    bracket or comma, cut at a word boundary after ``width`` characters (marked with '...')."""
    name = re.split(r"\s*[(,;]", str(intervention or "").strip(), maxsplit=1)[0].strip()
    if len(name) <= width:
        return name
    return name[:width].rsplit(" ", 1)[0] + "..."


def analysis_dataset(
    computed: pd.DataFrame,
    studies: pd.DataFrame,
    domain: str,
    moderators: pd.DataFrame | None = None,
    min_score: int = 4,
) -> pd.DataFrame:
    """The effect sizes of one outcome domain with the study-level columns an analysis uses:
    a label "authors year (programme)", design, the review's quality score, intervention type, and
    intensity and caseload (``INTENSITY_MODERATORS``) with a ``<name>_level`` column saying where
    each value comes from: ``review`` (Bijlage 5), ``study`` (the study's own public text) or
    ``programme`` (the programme model's documented standard). Rows keep their effect id and the
    ``approximation`` flag, so that a sensitivity analysis can leave approximations out;
    ``quality_band`` puts the review's quality score against ``min_score`` (the config's
    ``quality.min_score``) for the GRADE risk-of-bias rating, empty where the review gives no score."""
    sub = computed[computed["outcome_domain"] == domain].reset_index(drop=True)
    st = studies.set_index("study_id")
    out = sub[
        [
            "effect_id",
            "study_id",
            "outcome",
            "timepoint",
            "yi",
            "vi",
            "formula",
            "approximation",
            "adjusted",
            "source_url",
        ]
    ].copy()
    ids = sub["study_id"].tolist()
    once = list(dict.fromkeys(ids))  # each study's values are looked up once, then given to its rows

    def per_row(values: dict) -> list:
        return [values[s] for s in ids]

    out.insert(
        0,
        "study",
        per_row(
            {s: f"{st.at[s, 'authors']} {st.at[s, 'year']} ({programme_name(st.at[s, 'intervention'])})" for s in once}
        ),
    )
    for name, c in (("programme", "intervention"), ("intervention_type", "intervention_type"), ("design", "design")):
        out[name] = per_row({s: st.at[s, c] for s in once})
    out["quality_score"] = pd.to_numeric(
        pd.Series(per_row({s: st.at[s, "quality_score"] for s in once})), errors="coerce"
    ).to_numpy()
    out["quality_band"] = [
        ("" if np.isnan(q) else f"{min_score} or more of 11" if q >= min_score else f"below {min_score} of 11")
        for q in out["quality_score"]
    ]
    out["n_total"] = sub["n_total"].to_numpy()
    out["approximation"] = np.where(out["approximation"].astype(bool), "yes", "no")
    out["adjusted"] = np.where(out["adjusted"].astype(bool), "yes", "no")
    found = {}
    if moderators is not None and len(moderators):
        for _, m in moderators.iterrows():
            found.setdefault((m["study_id"], m["moderator"]), (float(m["value"]), m["level"]))
    for name, review_cols in INTENSITY_MODERATORS.items():
        value = {}
        for s in once:
            v = next(
                (
                    pd.to_numeric(st.at[s, c], errors="coerce")
                    for c in review_cols
                    if c in st.columns and pd.notna(pd.to_numeric(st.at[s, c], errors="coerce"))
                ),
                np.nan,
            )
            if pd.notna(v):
                value[s] = (float(v), "review")
            elif (s, name) in found:
                value[s] = (found[(s, name)][0], found[(s, name)][1])
            else:
                value[s] = (np.nan, "")
        out[name] = [value[s][0] for s in ids]
        out[f"{name}_level"] = [value[s][1] for s in ids]
    return out


def reporting_gap(computed: pd.DataFrame, studies: pd.DataFrame, domain: str) -> dict:
    """Of the studies known to have measured ``domain`` (Bijlage 5's outcome measures, coded in the
    study table's ``outcome_domains``, or an extracted effect in the domain), how many have
    statistics in the extraction table: ``measured``, ``with_statistics`` and the ``missing``
    study ids (for the GRADE rating of reporting bias and for the report)."""
    listed = studies["outcome_domains"].fillna("").astype(str).str.split(";")
    measured = {s for s, doms in zip(studies["study_id"], listed) if domain in [d.strip() for d in doms]}
    found = set(computed.loc[computed["outcome_domain"] == domain, "study_id"])
    measured |= found
    return {"measured": len(measured), "with_statistics": len(found), "missing": sorted(measured - found)}
