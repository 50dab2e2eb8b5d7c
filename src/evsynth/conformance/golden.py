"""Conformance cases: run reference analyses (``cases/*.json`` over ``data/*.csv``, the
format of ``shared/golden/README.md``) and compare every expected value within the
case's tolerance."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import evsynth.engine as eng
from evsynth.review.design import as_text, build_design, moderator_columns
from evsynth.engine.effects import MEASURE_INFO
from evsynth.engine import confint_tau2, escalc, rma, rma_mv, robust
from evsynth.errors import EvsynthError, InputError
from evsynth.engine.rma_uni import RMAResult

__all__ = ["CaseOutcome", "load_case", "run_case", "compare", "validate_dir", "order_key"]


@dataclass
class CaseOutcome:
    id: str
    passed: bool
    message: str = ""


def load_case(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            case = json.load(fh)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    for key in ("id", "dataset", "analysis", "expected"):
        if key not in case:
            raise InputError(f"{path}: case has no '{key}' field")
    return case


def _read_dataset(path: Path) -> pd.DataFrame:
    """The dataset as the format defines it: only empty cells are missing; text such as
    ``None``, ``NA``, ``null`` or ``nan`` is a value."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)


def order_key(values: pd.Series) -> np.ndarray:
    """The sort key of an ``order_by`` column: its numbers when every value is a number (as R
    sorts a numeric column: ids 10, 11, 101, 2 -> 2, 10, 11, 101), else its text."""
    nums = pd.to_numeric(values, errors="coerce")
    if len(values) and nums.notna().all():
        return nums.to_numpy(float)
    return values.astype(str).to_numpy()


def _numeric(df: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    s = df[col]
    vals = pd.to_numeric(s, errors="coerce")
    bad = vals.isna() & s.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        row = int(df.index[i]) + 2  # spreadsheet row: header is row 1
        raise InputError(
            f"{path}: row {row}, column '{col}': '{s.iloc[i]}' is not a number (only empty cells are missing values)"
        )
    return vals.to_numpy(float)


def _used_columns(case: dict) -> tuple[list[str], list[str]]:
    """(numeric columns, other columns) a case uses."""
    model = case.get("model") or {}
    es = case.get("effect_size")
    numeric = list(es["columns"].values()) if es else [case["yi"], case["vi"]]
    numeric += [
        m["column"] for m in (model.get("mods") or []) if isinstance(m, dict) and m.get("type", "numeric") == "numeric"
    ]
    numeric += [m for m in (model.get("mods") or []) if isinstance(m, str)]
    if case.get("analysis") == "regtest" and case.get("ni"):
        numeric.append(case["ni"])
    other = [c for c in moderator_columns(model.get("mods")) if c not in numeric]
    other += list(model.get("random") or [])
    for key in ("cluster", "order_by"):
        if model.get(key):
            other.append(model[key])
    V = model.get("V") or {}
    other += [V[k] for k in ("cluster", "obs") if V.get(k)]
    st = model.get("struct") or {}
    other += [st[k] for k in ("inner", "outer") if st.get(k)]
    red = case.get("model_reduced") or {}
    numeric += [
        m["column"] for m in (red.get("mods") or []) if isinstance(m, dict) and m.get("type", "numeric") == "numeric"
    ]
    other += [c for c in moderator_columns(red.get("mods")) if c not in numeric] + list(red.get("random") or [])
    return list(dict.fromkeys(numeric)), [c for c in dict.fromkeys(other) if c not in numeric]


def _case_frame(case: dict, data_dir: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    path = data_dir / f"{case['dataset']}.csv"
    if not path.exists():
        raise InputError(f"dataset file {path} does not exist")
    df = _read_dataset(path)
    sub = case.get("subset")
    if sub:
        if sub["column"] not in df.columns:
            raise InputError(f"{path}: subset column {sub['column']} used by case {case['id']} does not exist")
        df = df[as_text(df[sub["column"]]) == str(sub["equals"])]
    numeric, other = _used_columns(case)
    used = numeric + other
    missing = [c for c in used if c not in df.columns]
    if missing:
        raise InputError(f"{path}: column(s) {', '.join(missing)} used by case {case['id']} do not exist")
    df = df.dropna(subset=used)
    for col in numeric:
        df[col] = _numeric(df, col, path)
    df = df.reset_index(drop=True)
    es = case.get("effect_size")
    if es:
        measure = es["measure"]
        if measure not in MEASURE_INFO:
            raise InputError(f"case {case['id']}: unknown measure {measure}")
        r = escalc(measure, **{arg: df[col].to_numpy(float) for arg, col in es["columns"].items()})
        yi, vi = r.yi, r.vi
    else:
        yi, vi = df[case["yi"]].to_numpy(float), df[case["vi"]].to_numpy(float)
    return df, yi, vi


def _fields(result, names) -> dict:
    """The named fields of an engine result, under the same names (the reference cases
    use metafor's field names, which the results keep)."""
    return {n: getattr(result, n) for n in names}


_COEF_FIELDS = ("beta", "se", "stat", "pval", "ci_lb", "ci_ub", "k")


def _rma_fields(f, *, with_tau2=True) -> dict:
    out = {"coef_names": f.coef_names if len(f.coef_names) > 1 else f.coef_names[0]}
    out |= _fields(f, _COEF_FIELDS + ("QE", "QEp", "QM", "QMp", "df"))
    if with_tau2:
        out |= _fields(f, ("tau2", "se_tau2", "I2", "H2", "R2", "pi_lb", "pi_ub"))
    return out


def _fit(case: dict, df: pd.DataFrame, yi, vi, model: dict):
    """The case's model: ``rma`` or, with ``random``, ``V`` or ``struct``, ``rma_mv``."""
    method = model.get("method", "REML")
    test = model.get("test", "z")
    mods = model.get("mods") or []
    X, names = build_design(df, mods, where=f"case {case['id']}")
    mods_arr = X if mods else None
    if model.get("random") or model.get("V") or model.get("struct"):
        random = list(model.get("random") or [])
        groups = [df[c].to_numpy() for c in random]
        kw = {}
        V = model.get("V")
        if V:
            if V.get("type") != "constant_rho":
                raise InputError(f"case {case['id']}: unknown V type {V.get('type')!r}; allowed: constant_rho")
            from evsynth.engine import vcalc

            kw["V"] = vcalc(
                vi,
                df[V["cluster"]].to_numpy(),
                obs=df[V["obs"]].to_numpy() if V.get("obs") else None,
                rho=float(V["rho"]),
            )
        st = model.get("struct")
        if st:
            kw["struct"] = {
                "type": st["type"],
                "inner": df[st["inner"]].to_numpy(),
                "outer": df[st["outer"]].to_numpy(),
                "levels": st.get("levels"),
            }
        return rma_mv(yi, vi, groups, mods_arr, method=method, test=test, group_names=random, **kw)
    return rma(yi, vi, mods_arr, method=method, test=test)


def run_case(case: dict, data_dir: Path) -> dict:
    """Run one case and return the computed values under the case's expected keys."""
    df, yi, vi = _case_frame(case, Path(data_dir))
    model = case.get("model") or {}
    analysis = case["analysis"]
    if analysis == "escalc":
        return {"yi": yi, "vi": vi, "k": len(yi)}
    if analysis in _HANDLERS:
        return _HANDLERS[analysis](case, df, yi, vi, model)
    f = _fit(case, df, yi, vi, model)
    multilevel = not isinstance(f, RMAResult)
    if analysis in ("rma.mv", "rma.mv.V", "rma.mv.struct"):
        out = _rma_fields(f, with_tau2=False)
        out["sigma2"] = f.sigma2
        from evsynth.engine import fitstats

        out["logLik"] = fitstats(f).logLik
        if analysis == "rma.mv.struct":
            out["tau2"], out["rho"] = f.struct_tau2, f.struct_rho
        return out
    if analysis == "robust":
        return _robust_fields(robust(f, df[model["cluster"]].to_numpy()))
    if multilevel:
        raise InputError(f"case {case['id']}: analysis '{analysis}' is not available for multilevel models")
    if analysis == "rma":
        return _rma_fields(f)
    if analysis == "confint":
        # the *.exact cases (note: "found to full precision"); the default cases' note also
        # mentions "the exact roots", so the word "exact" alone does not mark one
        exact = str(case["id"]).endswith(".exact") or "full precision" in str(case.get("note", "")).lower()
        # exact roots (Newton, full precision) for the *.exact cases; metafor's default
        # uniroot tolerance, digit for digit, for the cases made with metafor's defaults
        c = confint_tau2(f, control=None if exact else {"tol": "metafor"})
        return {
            "tau2_est": c.tau2_est,
            "tau2_ci_lb": c.tau2_ci_lb,
            "tau2_ci_ub": c.tau2_ci_ub,
            "I2_ci_lb": c.I2_ci_lb,
            "I2_ci_ub": c.I2_ci_ub,
            "H2_ci_lb": c.H2_ci_lb,
            "H2_ci_ub": c.H2_ci_ub,
        }
    if analysis == "regtest":
        ni = None
        if case.get("predictor", "sei") in ("ni", "ninv"):
            if case.get("ni"):
                ni = df[case["ni"]].to_numpy(float)
            else:
                cols = (case.get("effect_size") or {}).get("columns", {})
                if all(c in cols for c in ("ai", "bi", "ci", "di")):
                    ni = sum(df[cols[c]].to_numpy(float) for c in ("ai", "bi", "ci", "di"))
                elif all(c in cols for c in ("n1i", "n2i")):
                    ni = df[cols["n1i"]].to_numpy(float) + df[cols["n2i"]].to_numpy(float)
                else:
                    raise InputError(f"case {case['id']}: predictor {case['predictor']} needs an 'ni' column")
        r = eng.regtest(f, predictor=case.get("predictor", "sei"), model=case.get("regtest_model", "rma"), ni=ni)
        return {"stat": r.stat, "pval": r.pval, "limit_estimate": r.limit_estimate, "k": r.k}
    if analysis == "ranktest":
        return _fields(eng.ranktest(yi, vi), ("kendall_tau", "pval", "k"))
    if analysis == "trimfill":
        r = eng.trimfill(f, estimator=case.get("estimator", "L0"))
        return {
            "k0": r.k0,
            "side": r.side,
            "beta": r.beta,
            "se": r.se,
            "tau2": r.tau2,
            "k": r.k,
            "se_k0": r.se_k0,
            "pval_k0": r.pval_k0,
        }
    if analysis == "leave1out":
        t = eng.leave1out(f)
        return _fields(t, ("estimate", "se", "tau2", "I2", "QE")) | {"k": f.k}
    if analysis == "influence":
        t = eng.influence(f)
        return _fields(
            t, ("rstudent", "dffits", "cooks_distance", "cov_ratio", "tau2_del", "QE_del", "hat", "weight")
        ) | {"k": f.k}
    if analysis == "cumul":
        t = eng.cumul(f, order_key(df[model["order_by"]]))
        return _fields(t, ("estimate", "se", "tau2")) | {"k": f.k}
    if analysis == "fsn":
        r = eng.fsn(yi, vi, type=case.get("fsn_type", "Rosenthal"), target=case.get("target"))
        return {"fsnum": r.fsnum, "pval": r.pval, "mean_es": r.mean_es, "target": r.target, "k": len(yi)}
    raise InputError(f"case {case['id']}: unknown analysis '{analysis}'")


def _mh_data(case, df) -> dict:
    cols = case["effect_size"]["columns"]
    return {arg: df[col].to_numpy(float) for arg, col in cols.items()}


def _mh_fields(r) -> dict:
    return _fields(r, "beta se stat pval ci_lb ci_ub QE QEp I2 H2 k k_yi MH MHp TA TAp".split())


def _case_mh(case, df, yi, vi, model):
    from evsynth.engine import rma_mh

    return _mh_fields(rma_mh(case["effect_size"]["measure"], **_mh_data(case, df)))


def _case_peto(case, df, yi, vi, model):
    from evsynth.engine import rma_peto

    return _mh_fields(rma_peto(**_mh_data(case, df)))


def _case_fitstats(case, df, yi, vi, model):
    from evsynth.engine import fitstats

    r = fitstats(_fit(case, df, yi, vi, model))
    return {"logLik": r.logLik, "deviance": r.deviance, "AIC": r.AIC, "BIC": r.BIC, "AICc": r.AICc, "k": r.k}


def _case_lrt(case, df, yi, vi, model):
    from evsynth.engine import anova

    full = _fit(case, df, yi, vi, model)
    red = _fit(case, df, yi, vi, case["model_reduced"])
    r = anova(full, red)
    return _fields(r, ("LRT", "df", "pval", "logLik_full", "logLik_reduced", "AIC_full", "AIC_reduced", "k"))


def _case_wald(case, df, yi, vi, model):
    from evsynth.engine import anova

    r = anova(_fit(case, df, yi, vi, model), L=case["L"])
    return _fields(r, ("estimate", "se", "stat", "pval", "QM", "QMdf", "QMp", "df", "k"))


def _case_predict(case, df, yi, vi, model):
    from evsynth.engine import predict

    f = _fit(case, df, yi, vi, model)
    r = predict(f, case.get("newmods"), transf=case.get("transf"))
    return _fields(r, ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "k"))


def _case_blup(case, df, yi, vi, model):
    from evsynth.engine import blup, ranef

    f = _fit(case, df, yi, vi, model)
    b, u = blup(f), ranef(f)
    return {
        "pred": b.pred,
        "se": b.se,
        "pi_lb": b.pi_lb,
        "pi_ub": b.pi_ub,
        "ranef_pred": u.pred,
        "ranef_se": u.se,
        "tau2": f.tau2,
        "k": f.k,
    }


def _case_confint_mv(case, df, yi, vi, model):
    from evsynth.engine import confint_mv

    f = _fit(case, df, yi, vi, model)
    c = confint_mv(f)
    return {"sigma2_est": c.sigma2_est, "sigma2_ci_lb": c.sigma2_ci_lb, "sigma2_ci_ub": c.sigma2_ci_ub, "k": f.k}


def _case_selmodel(case, df, yi, vi, model):
    from evsynth.engine import selmodel

    r = selmodel(_fit(case, df, yi, vi, model), steps=case["steps"])
    return _fields(r, ("beta", "se", "stat", "pval", "ci_lb", "ci_ub", "tau2", "delta", "LRT", "LRTp", "k"))


def _case_influence_mv(case, df, yi, vi, model):
    from evsynth.engine import influence_mv

    r = influence_mv(_fit(case, df, yi, vi, model))
    return {"cooks_distance": r.cooks_distance, "hat": r.hat, "dfbetas": [list(x) for x in r.dfbetas], "k": r.k}


_HANDLERS = {
    "rma.mh": _case_mh,
    "rma.peto": _case_peto,
    "fitstats": _case_fitstats,
    "anova.lrt": _case_lrt,
    "anova.wald": _case_wald,
    "predict": _case_predict,
    "blup": _case_blup,
    "confint.mv": _case_confint_mv,
    "selmodel": _case_selmodel,
    "influence.mv": _case_influence_mv,
}


def _robust_fields(r) -> dict:
    return {"coef_names": r.coef_names if len(r.coef_names) > 1 else r.coef_names[0]} | _fields(
        r, _COEF_FIELDS + ("df", "n_clusters")
    )


def _is_empty(x) -> bool:
    if x is None:
        return True
    if isinstance(x, float) and np.isnan(x):
        return True
    if isinstance(x, (list, tuple, np.ndarray)) and len(x) == 0:
        return True
    return False


def compare(got: dict, expected: dict, tolerance: dict) -> str | None:
    """None when every expected value matches; else a message naming the first key
    that does not, with got and want."""
    rtol = float(tolerance.get("rtol", 1e-4))
    atol = float(tolerance.get("atol", 1e-6))
    for key, want in expected.items():
        if key not in got:
            return f"{key}: not computed (want {want})"
        g = got[key]
        if want is None or (isinstance(want, list) and len(want) == 0):
            if not _is_empty(g):
                return f"{key}: got {_short(g)}, want no value"
            continue
        if isinstance(want, str) or (isinstance(want, list) and want and isinstance(want[0], str)):
            gw = list(g) if isinstance(g, (list, tuple, np.ndarray)) else g
            if gw != want:
                return f"{key}: got {_short(g)}, want {_short(want)}"
            continue
        if _is_empty(g):
            return f"{key}: got no value, want {_short(want)}"
        ga = np.atleast_1d(np.asarray(g, dtype=float))
        wa = np.atleast_1d(np.asarray(want, dtype=float))
        if ga.shape != wa.shape:
            return f"{key}: got {ga.size} value(s), want {wa.size}"
        ok = np.abs(ga - wa) <= atol + rtol * np.abs(wa)
        ok |= np.isinf(ga) & np.isinf(wa) & (np.sign(ga) == np.sign(wa))
        if not np.all(ok):
            i = int(np.flatnonzero(~ok)[0])
            where = f"[{i}]" if wa.size > 1 else ""
            return f"{key}{where}: got {ga[i]!r}, want {wa[i]!r}"
    return None


def _short(x) -> str:
    s = repr(list(x) if isinstance(x, np.ndarray) else x)
    return s if len(s) < 120 else s[:117] + "..."


def validate_dir(directory) -> list[CaseOutcome]:
    """Run every ``cases/*.json`` of a conformance directory against its ``data/``."""
    d = Path(directory)
    cases_dir, data_dir = d / "cases", d / "data"
    if not cases_dir.is_dir():
        raise InputError(f"{d}: no cases/ folder (expected {cases_dir})")
    if not data_dir.is_dir():
        raise InputError(f"{d}: no data/ folder (expected {data_dir})")
    files = sorted(cases_dir.glob("*.json"))
    if not files:
        raise InputError(f"{cases_dir}: no *.json cases")
    outcomes = []
    for path in files:
        try:
            case = load_case(path)
            got = run_case(case, data_dir)
            msg = compare(got, case["expected"], case.get("tolerance") or {})
            outcomes.append(CaseOutcome(case["id"], msg is None, msg or ""))
        except EvsynthError as exc:
            outcomes.append(CaseOutcome(path.stem, False, f"error: {exc}"))
        except (ImportError, AttributeError, TypeError, ValueError, np.linalg.LinAlgError) as exc:
            # a case this version cannot run (e.g. an analysis type not implemented yet) fails
            # with its reason instead of stopping the whole run
            outcomes.append(CaseOutcome(path.stem, False, f"error: {type(exc).__name__}: {exc}"))
    return outcomes
