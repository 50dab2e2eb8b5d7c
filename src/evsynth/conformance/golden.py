"""Conformance cases: run reference analyses (``cases/*.json`` over ``data/*.csv``, the
format of ``shared/golden/README.md``) and compare every expected value within the
case's tolerance."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evsynth.engine import diagnostics as dg
from evsynth.review.design import _as_text, build_design, moderator_columns
from evsynth.engine.effects import MEASURE_INFO, escalc
from evsynth.errors import EvsynthError, InputError
from evsynth.engine.models import confint_tau2, rma
from evsynth.engine.multilevel import rma_mv
from evsynth.engine.robust import robust

__all__ = ["CaseOutcome", "load_case", "run_case", "compare", "validate_dir"]


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


def _case_frame(case: dict, data_dir: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    path = data_dir / f"{case['dataset']}.csv"
    if not path.exists():
        raise InputError(f"dataset file {path} does not exist")
    df = pd.read_csv(path, keep_default_na=True, na_values=[""])
    sub = case.get("subset")
    if sub:
        df = df[_as_text(df[sub["column"]]) == str(sub["equals"])]
    model = case.get("model") or {}
    es = case.get("effect_size")
    used = []
    if es:
        used += list(es["columns"].values())
    else:
        used += [case["yi"], case["vi"]]
    used += moderator_columns(model.get("mods"))
    used += list(model.get("random") or [])
    for key in ("cluster", "order_by"):
        if model.get(key):
            used.append(model[key])
    missing = [c for c in used if c not in df.columns]
    if missing:
        raise InputError(f"{path}: column(s) {', '.join(missing)} used by case {case['id']} do not exist")
    df = df.dropna(subset=used).reset_index(drop=True)
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


def run_case(case: dict, data_dir: Path) -> dict:
    """Run one case and return the computed values under the case's expected keys."""
    df, yi, vi = _case_frame(case, Path(data_dir))
    model = case.get("model") or {}
    analysis = case["analysis"]
    method = model.get("method", "REML")
    test = model.get("test", "z")
    if analysis == "escalc":
        return {"yi": yi, "vi": vi, "k": len(yi)}
    mods = model.get("mods") or []
    X, names = build_design(df, mods, where=f"case {case['id']}")
    mods_arr = X if mods else None
    if analysis == "rma.mv" or (analysis == "robust" and model.get("random")):
        groups = [df[c].to_numpy() for c in model["random"]]
        f = rma_mv(yi, vi, groups, mods_arr, method=method, test=test, group_names=model["random"])
        if analysis == "robust":
            r = robust(f, df[model["cluster"]].to_numpy())
            return _robust_fields(r)
        out = _rma_fields(f, with_tau2=False)
        out["sigma2"] = f.sigma2
        return out
    f = rma(yi, vi, mods_arr, method=method, test=test)
    if analysis == "rma":
        return _rma_fields(f)
    if analysis == "robust":
        return _robust_fields(robust(f, df[model["cluster"]].to_numpy()))
    if analysis == "confint":
        return _fields(confint_tau2(f), ("tau2_est", "tau2_ci_lb", "tau2_ci_ub", "I2_ci_lb", "I2_ci_ub",
                                         "H2_ci_lb", "H2_ci_ub"))
    if analysis == "regtest":
        return _fields(dg.regtest(f), ("stat", "pval", "limit_estimate", "k"))
    if analysis == "ranktest":
        return _fields(dg.ranktest(yi, vi), ("kendall_tau", "pval", "k"))
    if analysis == "trimfill":
        return _fields(dg.trimfill(f), ("k0", "side", "beta", "se", "tau2", "k"))
    if analysis == "leave1out":
        t = dg.leave1out(f)
        return _fields(t, ("estimate", "se", "tau2", "I2", "QE")) | {"k": f.k}
    if analysis == "influence":
        t = dg.influence(f)
        return _fields(t, ("rstudent", "dffits", "cooks_distance", "cov_ratio", "tau2_del", "QE_del", "hat",
                           "weight")) | {"k": f.k}
    if analysis == "cumul":
        t = dg.cumul(f, df[model["order_by"]].to_numpy())
        return _fields(t, ("estimate", "se", "tau2")) | {"k": f.k}
    if analysis == "fsn":
        return {"fsnum": dg.fsn(yi, vi).fsnum, "k": len(yi)}
    raise InputError(f"case {case['id']}: unknown analysis '{analysis}'")


def _robust_fields(r) -> dict:
    return {"coef_names": r.coef_names if len(r.coef_names) > 1 else r.coef_names[0]} | _fields(
        r, _COEF_FIELDS + ("df", "n_clusters"))


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
    return outcomes
