"""Q-profile CI for tau^2 to full precision (issue 16 item 3), and metafor's default digits
on request.

Expected values: ``../shared/golden-breadth/*.confint.exact.json`` (metafor with
``control = list(tol = 1e-12)``), ``../shared/golden/*.confint.json`` (metafor's default
search), and tests/r/qprofile_exact.json (tests/r/qprofile_exact.R: metafor, both settings,
meta-regressions, several estimators and levels).  Independently of metafor, the bounds must
solve Q(tau^2) = chi^2 quantile with Q computed in residual form."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from evsynth.conformance.golden import _case_frame, _fit, load_case
from evsynth.engine import confint_tau2, rma, rma_batch
from evsynth.engine.linalg import newton_root
from evsynth.errors import InputError
from conftest import ROOT

SHARED = ROOT / ".." / "shared"
R_OUT = json.loads((ROOT / "tests" / "r" / "qprofile_exact.json").read_text())
KEYS = ("tau2_ci_lb", "tau2_ci_ub", "I2_ci_lb", "I2_ci_ub", "H2_ci_lb", "H2_ci_ub")


def _cases(folder, pattern):
    d = SHARED / folder
    paths = sorted((d / "cases").glob(pattern))
    if not paths:
        pytest.skip(f"../shared/{folder} is not beside the repository")
    return [(load_case(p), d / "data") for p in paths]


def _confint_of_case(case, data_dir, **kw):
    df, yi, vi = _case_frame(case, data_dir)
    return confint_tau2(_fit(case, df, yi, vi, case["model"]), **kw)


def _rel(got, want):
    return abs(got - want) / max(abs(want), 1e-300) if want != 0 else abs(got)


def test_default_finds_the_exact_roots_of_the_breadth_cases():
    cases = _cases("golden-breadth", "*.confint*.exact.json")
    assert len(cases) == 5
    for case, data in cases:
        c = _confint_of_case(case, data)
        for key in KEYS:
            want = case["expected"][key]
            assert _rel(getattr(c, key), want) <= 1e-8, (case["id"], key, getattr(c, key), want)


@pytest.mark.parametrize(
    "how", [{"control": {"tol": "metafor"}}, {"tol": "metafor"}, {"tol": np.finfo(float).eps ** 0.25}]
)
def test_metafor_control_reproduces_metafors_default_digits(how):
    cases = _cases("golden", "*.confint*.json")
    assert len(cases) == 5
    moved = 0
    for case, data in cases:
        c = _confint_of_case(case, data, **how)
        exact = _confint_of_case(case, data)
        for key in KEYS:
            want = case["expected"][key]
            assert _rel(getattr(c, key), want) <= 1e-10, (case["id"], key, getattr(c, key), want)
            moved += _rel(getattr(exact, key), want) > 1e-6
    assert moved > 0  # the default digits are not the exact roots


@pytest.mark.parametrize("case", R_OUT["cases"], ids=lambda c: c["id"])
def test_meta_regressions_estimators_levels_against_metafor(case):
    y, v = np.array(case["yi"]), np.array(case["vi"])
    mods = np.array(case["mods"])[:, None] if case["mods"] else None
    f = rma(y, v, mods, method=case["method"], level=case["level"])
    assert f.tau2 == pytest.approx(case["tau2"], rel=1e-6)
    exact, default = confint_tau2(f), confint_tau2(f, control={"tol": "metafor"})
    for key in case["exact"]:
        # metafor's tol = 1e-12 is absolute on tau^2: allow it on top of 1e-8 relative
        atol = 1e-11 if key.startswith("tau2") else 1e-9
        assert getattr(exact, key) == pytest.approx(case["exact"][key], rel=1e-8, abs=atol), key
        assert getattr(default, key) == pytest.approx(case["default"][key], rel=1e-9), key
    # the bounds solve Q(tau^2) = chi^2 quantile; Q in residual form, independent of the solver
    X = np.column_stack([np.ones_like(y)] + ([] if mods is None else [mods[:, 0]]))
    df = y.size - X.shape[1]
    a = 1 - case["level"] / 100
    for t, crit in ((exact.tau2_ci_lb, stats.chi2.isf(a / 2, df)), (exact.tau2_ci_ub, stats.chi2.ppf(a / 2, df))):
        if t == 0:
            continue
        w = 1 / (v + t)
        beta = np.linalg.lstsq(X * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
        q = np.sum(w * (y - X @ beta) ** 2)
        assert q == pytest.approx(crit, rel=1e-12)


def test_batch_qprofile_exact_and_metafor_digits_equal_confint():
    rng = np.random.default_rng(16)
    n, kmax = 60, 30
    v = rng.uniform(0.005, 0.3, (n, kmax))
    y = rng.normal(0.5, np.sqrt(v + rng.choice([0.0, 0.004, 0.05, 0.4], n)[:, None]))
    mask = np.arange(kmax)[None, :] < rng.integers(3, kmax + 1, n)[:, None]
    for method in ("REML", "DL", "PM"):
        be = rma_batch(y, v, mask, method=method, confint=True)
        bm = rma_batch(y, v, mask, method=method, confint=True, confint_tol="metafor")
        differ = 0
        for i in range(n):
            s = mask[i]
            f = rma(y[i, s], v[i, s], method=method)
            ce, cm = confint_tau2(f), confint_tau2(f, tol="metafor")
            for key in KEYS:
                assert getattr(be, key)[i] == pytest.approx(getattr(ce, key), rel=1e-10, abs=1e-14), (i, key)
                assert getattr(bm, key)[i] == pytest.approx(getattr(cm, key), rel=1e-10, abs=1e-14), (i, key)
                differ += getattr(ce, key) != getattr(cm, key)
        assert differ > 0
        assert np.any(be.tau2_ci_lb == 0) and np.any(be.tau2_ci_lb > 0)


def test_ceiling_is_reported_with_a_note_in_both_modes():
    f = rma([0.0, 10.0, 5.0], [1.0, 1.0, 1.0], method="REML")
    for kw in ({}, {"tol": "metafor"}):
        c = confint_tau2(f, **kw)
        assert c.tau2_ci_ub == max(100.0, 10 * f.tau2) and "above the search ceiling" in c.note
    b = rma_batch(np.array([[0.0, 10.0, 5.0]]), np.ones((1, 3)), confint=True)
    assert b.tau2_ci_ub[0] == max(100.0, 10 * f.tau2)


def test_newton_root_is_safeguarded():
    # a function on which plain Newton from the start diverges (atan): bisection takes over
    r = newton_root(
        lambda x: (np.arctan(x - 1.0), 1 / (1 + (x - 1.0) ** 2)),
        -50.0,
        60.0,
        np.arctan(-51.0),
        np.arctan(59.0),
        start=20.0,
    )
    assert r == pytest.approx(1.0, abs=1e-15)
    r = newton_root(lambda x: (x**3 - 2, 3 * x * x), 0.0, 5.0, -2.0, 123.0)
    assert r == pytest.approx(2 ** (1 / 3), rel=1e-15)


def test_bad_tol_is_a_clear_error():
    f = rma([0.1, 0.5, 0.3, 0.9], [0.01, 0.02, 0.03, 0.02])
    with pytest.raises(InputError, match="tol"):
        confint_tau2(f, tol="fast")
    with pytest.raises(InputError, match="unknown confint control"):
        confint_tau2(f, control={"maxit": 3})
    with pytest.raises(InputError, match="tol must be > 0"):
        confint_tau2(f, tol=0)
