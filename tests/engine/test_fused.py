"""The fused (cache-blocked) route of intercept-only (RE)ML/EB fits and their Q-profile CI at
large k (estimators.Fused, linalg.power_sums) against independent routes:

- the unblocked route (the sums/WLS code every smaller fit takes, itself checked against
  metafor in test_golden/test_qprofile_exact), forced by raising ``FUSED_MIN``;
- metafor: every case of ../shared/golden and ../shared/golden-breadth run with the fused
  route forced on (``FUSED_MIN = 2``) and tiny blocks, so that every block boundary and a
  partial last block are exercised;
- plain numpy sums for power_sums itself, and the exact log-likelihoods for the bounds that
  let the fused route skip the logarithms.
"""

import numpy as np
import pytest

from evsynth.conformance.golden import validate_dir
from evsynth.engine import confint_tau2, estimators, rma
from evsynth.engine.linalg import power_sums
from evsynth.engine.estimators import Fused

from conftest import SHARED

RTOL = 1e-12


def _data(kind, k, seed):
    rng = np.random.default_rng(seed)
    if kind == "spread":  # sampling variances over six orders of magnitude
        v = 10 ** rng.uniform(-4, 2, k)
        return rng.normal(0.3, np.sqrt(v + 0.01)), v
    v = rng.uniform(0.005, 0.2, k)
    tau2 = {"typical": 0.04, "tau0": 0.0, "huge": 100.0}[kind]
    return rng.normal(0.3, np.sqrt(v + tau2)), v


def _outputs(y, v, method, test):
    f = rma(y, v, method=method, test=test)
    c = confint_tau2(f)
    return {
        "tau2": f.tau2,
        "se_tau2": f.se_tau2,
        "beta": f.beta[0],
        "se": f.se[0],
        "ci_lb": f.ci_lb[0],
        "ci_ub": f.ci_ub[0],
        "QE": f.QE,
        "I2": f.I2,
        "H2": f.H2,
        "pi_lb": f.pi_lb,
        "pi_ub": f.pi_ub,
        "weights": f.weights,
        "tau2_ci_lb": c.tau2_ci_lb,
        "tau2_ci_ub": c.tau2_ci_ub,
        "I2_ci_ub": c.I2_ci_ub,
        "iterations": f.extra["iterations"],
    }


def _route(monkeypatch, fused: bool, block=None):
    monkeypatch.setattr(estimators, "FUSED_MIN", 2 if fused else 10**12)
    if block is not None:
        monkeypatch.setattr(estimators, "FUSED_BLOCK", block)


@pytest.mark.parametrize("kind", ["typical", "tau0", "huge", "spread"])
@pytest.mark.parametrize("method,test", [("REML", "knha"), ("REML", "z"), ("ML", "z"), ("EB", "knha")])
def test_fused_route_equals_unblocked_route(monkeypatch, kind, method, test):
    y, v = _data(kind, 3001, seed=len(kind))
    _route(monkeypatch, fused=False)
    want = _outputs(y, v, method, test)
    _route(monkeypatch, fused=True, block=256)  # 12 blocks and a partial one
    made = []
    init = Fused.__init__
    monkeypatch.setattr(Fused, "__init__", lambda self, *a, **kw: (made.append(1), init(self, *a, **kw))[1])
    got = _outputs(y, v, method, test)
    assert made, "the fused route was not taken"
    assert got["iterations"] == want["iterations"]  # metafor's path: same Fisher iterations
    if kind == "tau0":
        assert want["tau2"] == 0.0 and got["tau2"] == 0.0 and got["tau2_ci_lb"] == 0.0
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=0, err_msg=key)


def test_default_threshold_takes_the_fused_route_and_agrees(monkeypatch):
    y, v = _data("typical", estimators.FUSED_MIN + 5, seed=7)
    f = rma(y, v)
    assert estimators.fused_of(f) is not None  # fused: its data rows are kept for its confint
    assert estimators.fused_of(rma(y[:-10], v[:-10])) is None  # below the threshold: not fused
    got = _outputs(y, v, "REML", "knha")
    _route(monkeypatch, fused=False)
    want = _outputs(y, v, "REML", "knha")
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=0, err_msg=key)


def test_confint_of_an_earlier_fused_fit_after_another_fit(monkeypatch):
    """The one-slot cache of data rows holds the latest fit only: an earlier fit's CI is
    computed from its own data all the same."""
    _route(monkeypatch, fused=True, block=100)
    y1, v1 = _data("typical", 1500, seed=1)
    y2, v2 = _data("spread", 1500, seed=2)
    f1 = rma(y1, v1)
    f2 = rma(y2, v2)
    assert estimators.fused_of(f2) is not None and estimators.fused_of(f1) is None
    c1, c2 = confint_tau2(f1), confint_tau2(f2)
    _route(monkeypatch, fused=False)
    w1, w2 = confint_tau2(rma(y1, v1)), confint_tau2(rma(y2, v2))
    for got, want in ((c1, w1), (c2, w2)):
        np.testing.assert_allclose([got.tau2_ci_lb, got.tau2_ci_ub], [want.tau2_ci_lb, want.tau2_ci_ub], rtol=RTOL)
    # metafor's default search digits (tol="metafor") on the fused route as well
    _route(monkeypatch, fused=True, block=100)
    m1 = confint_tau2(rma(y1, v1), tol="metafor")
    _route(monkeypatch, fused=False)
    n1 = confint_tau2(rma(y1, v1), tol="metafor")
    assert abs(m1.tau2_ci_lb - n1.tau2_ci_lb) < 1e-10 and abs(m1.tau2_ci_ub - n1.tau2_ci_ub) < 1e-10


@pytest.mark.parametrize("folder", ["golden", "golden-breadth"])
def test_metafor_cases_on_the_fused_route(monkeypatch, folder):
    """Every metafor reference case still passes with the fused route forced for every
    intercept-only (RE)ML/EB fit (blocks of 3 values)."""
    d = SHARED / folder
    if not d.exists():
        pytest.skip(f"../shared/{folder} is not beside the repository")
    _route(monkeypatch, fused=True, block=3)
    made = []
    init = Fused.__init__
    monkeypatch.setattr(Fused, "__init__", lambda self, *a, **kw: (made.append(1), init(self, *a, **kw))[1])
    outcomes = validate_dir(d)
    failed = [f"{o.id}: {o.message}" for o in outcomes if not o.passed]
    assert not failed, failed
    assert len(outcomes) == {"golden": 92, "golden-breadth": 67}[folder]
    assert len(made) > 20  # the route was taken (by rma, confint and the deletion diagnostics)


@pytest.mark.parametrize("powers,cubes,log", [(3, True, False), (2, True, True), (2, False, False)])
@pytest.mark.parametrize("t", [0.0, 0.37])
def test_power_sums_equal_plain_sums(powers, cubes, log, t):
    rng = np.random.default_rng(3)
    k = 1003
    v = 10 ** rng.uniform(-3, 1, k)
    yc = rng.normal(size=k)
    Y = np.vstack([np.ones(k), yc, yc * yc])
    S, ls = power_sums(v, t, Y, np.empty((3, 64)), powers, log=log, cubes=cubes)
    w = 1.0 / (v + t)
    want = np.array([[np.sum(w**a * yc**b) for b in range(3)] for a in (1, 2, 3)])
    np.testing.assert_allclose(S[:powers], want[:powers], rtol=1e-13)
    if powers == 2:
        assert np.isnan(S[2, 1:]).all()
        if cubes:
            np.testing.assert_allclose(S[2, 0], want[2, 0], rtol=1e-13)
        else:
            assert np.isnan(S[2, 0])
    if log:
        np.testing.assert_allclose(ls, np.sum(np.log(v + t)), rtol=1e-13)
    else:
        assert ls is None


@pytest.mark.parametrize("kind", ["typical", "tau0", "huge", "spread"])
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_loglik_bounds_hold_and_decide_as_the_exact_check(kind, method):
    """zero_gap_bound is an upper bound of loglik(0) - loglik(tau2); step_keeps_loglik,
    when it decides, decides as the exact comparison of estimate_tau2."""
    y, v = _data(kind, 2000, seed=11)
    F = Fused(y, v, block=128)
    decided = 0
    for t in [1e-6, 1e-3, 0.01, 0.04, 0.5, 20.0, 150.0]:
        gap = F.loglik(0.0, method) - F.loglik(t, method)
        assert F.zero_gap_bound(t, method) >= gap - 1e-9 * abs(gap)
        for d in [1e-9, -1e-9, 1e-7 * t, -0.3 * t, 0.5 * t, 3 * t]:
            t2 = t + d
            if t2 <= 0:
                continue
            keeps = F.step_keeps_loglik(t, t2, method)
            if keeps is not None:
                decided += 1
                ll1 = F.loglik(t, method)
                assert keeps == (F.loglik(t2, method) >= ll1 - 1e-12 * abs(ll1)), (t, t2)
    assert decided > 0


def test_fused_route_reports_bad_input_as_before():
    with pytest.raises(estimators.InputError, match="row"):
        rma(np.r_[np.zeros(estimators.FUSED_MIN), np.nan], np.ones(estimators.FUSED_MIN + 1))


def test_fused_route_is_deterministic(monkeypatch):
    y, v = _data("spread", 5000, seed=4)
    _route(monkeypatch, fused=True)
    a = _outputs(y, v, "REML", "knha")
    b = _outputs(y, v, "REML", "knha")
    for key in a:
        assert np.array_equal(a[key], b[key]), key


@pytest.mark.parametrize("kind", ["typical", "underdispersed"])
def test_full_inference_reads_the_data_a_few_times(monkeypatch, kind):
    """REML + Knapp-Hartung + PI + Q-profile CI at k = 2e5: one pass for the data rows and the
    equal-effects sums, one per Fisher iteration, one with all sums at the estimate, one for
    both bounds' Halley points (at this k one Halley step per bound reaches the root); no
    logarithm pass (the likelihood checks are decided by the bounds).  With tau^2 = 0 the
    Q-profile starts at the Newton point from 0, not at the middle of [0, 100] (formerly
    about 50 evaluations)."""
    calls = []
    orig = estimators.power_sums
    monkeypatch.setattr(
        estimators, "power_sums", lambda *a, **kw: (calls.append(kw.get("log", False)), orig(*a, **kw))[1]
    )
    y, v = _data("typical", 200_000, seed=21)
    if kind == "underdispersed":  # Q(0) about k - 1.5 sqrt(k): tau^2 = 0, upper bound above 0
        z = (y - 0.3) / np.sqrt(v + 0.04)
        z = (z - z.mean()) / z.std()
        y = 0.3 + np.sqrt(v * (1 - 1.5 / np.sqrt(y.size))) * z
    f = rma(y, v, method="REML", test="knha")
    c = confint_tau2(f)
    assert not any(calls)  # no pass with logarithms
    if kind == "typical":
        assert len(calls) == f.extra["iterations"] + 3, (len(calls), f.extra["iterations"])
    else:
        assert f.tau2 == 0.0 and c.tau2_ci_lb == 0.0 and c.tau2_ci_ub > 0.0 and len(calls) <= 6, len(calls)
    _route(monkeypatch, fused=False)
    w = confint_tau2(rma(y, v, method="REML", test="knha"))
    np.testing.assert_allclose([c.tau2_ci_lb, c.tau2_ci_ub], [w.tau2_ci_lb, w.tau2_ci_ub], rtol=RTOL)


def test_confint_of_one_fit_from_two_threads(monkeypatch):
    """The latest fit's cached rows and work buffer used by two threads at once give the
    results of a serial run (the passes through the buffer are locked)."""
    from concurrent.futures import ThreadPoolExecutor

    _route(monkeypatch, fused=True, block=64)
    y, v = _data("spread", 20_000, seed=9)
    f = rma(y, v)
    serial = [confint_tau2(f, level=lv) for lv in (80.0, 90.0, 95.0, 99.0)]
    f2 = rma(y, v)  # a fresh fit: its cache has none of the levels' Q-profile sums yet
    with ThreadPoolExecutor(4) as ex:
        par = list(ex.map(lambda lv: confint_tau2(f2, level=lv), (80.0, 90.0, 95.0, 99.0)))
    for a, b in zip(serial, par):
        assert (a.tau2_ci_lb, a.tau2_ci_ub) == (b.tau2_ci_lb, b.tau2_ci_ub)
