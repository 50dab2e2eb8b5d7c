"""Univariate models: cross-checks against PyMARE and statsmodels, and clear failures
for ill-posed fits."""

import numpy as np
import pandas as pd
import pytest

from evsynth.errors import ConvergenceError, InputError, ModelError
from evsynth.engine import confint_tau2, rma, subgroup
from evsynth.engine.estimators import estimate_tau2

from conftest import GOLDEN


@pytest.fixture(scope="module")
def barlow():
    d = pd.read_csv(GOLDEN / "data" / "barlow2014.csv")
    return d["y"].to_numpy(), d["s2"].to_numpy()


@pytest.mark.parametrize("method", ["DL", "REML", "ML"])
def test_tau2_and_estimate_match_pymare(barlow, method):
    from pymare import Dataset
    from pymare.estimators import DerSimonianLaird, VarianceBasedLikelihoodEstimator

    y, v = barlow
    est = DerSimonianLaird() if method == "DL" else VarianceBasedLikelihoodEstimator(method=method)
    est.fit_dataset(Dataset(y=y, v=v))
    s = est.summary()
    f = rma(y, v, method=method, control={"threshold": 1e-12, "maxiter": 1000})
    assert f.tau2 == pytest.approx(float(np.ravel(s.tau2)[0]), rel=1e-4, abs=1e-8)
    assert f.estimate == pytest.approx(float(np.ravel(s.fe_params)[0]), rel=1e-4)


@pytest.mark.parametrize("method_re,ours", [("dl", "DL"), ("pm", "PM")])
def test_estimate_and_hksj_match_statsmodels(barlow, method_re, ours):
    from statsmodels.stats.meta_analysis import combine_effects

    y, v = barlow
    sm = combine_effects(y, v, method_re=method_re, use_t=False)
    frame = sm.summary_frame()
    f = rma(y, v, method=ours, test="knha", control={"tol": 1e-12})
    assert f.tau2 == pytest.approx(sm.tau2, rel=1e-4)
    assert f.estimate == pytest.approx(frame.loc["random effect", "eff"], rel=1e-6)
    # statsmodels' "random effect wls" row is the Knapp-Hartung (HKSJ) standard error;
    # with use_t its interval uses t with k - 1 df, as Knapp-Hartung does
    assert f.se[0] == pytest.approx(frame.loc["random effect wls", "sd_eff"], rel=1e-4)
    lo, hi = sm.conf_int(use_t=True)[3]
    assert (f.ci_lb[0], f.ci_ub[0]) == pytest.approx((lo, hi), rel=1e-4)
    assert f.QE == pytest.approx(sm.q, rel=1e-10)


def test_equal_effects_is_inverse_variance_mean(barlow):
    y, v = barlow
    w = 1 / v
    f = rma(y, v, method="EE")
    assert f.estimate == pytest.approx(np.sum(w * y) / np.sum(w), rel=1e-12)
    assert f.se[0] == pytest.approx(np.sqrt(1 / np.sum(w)), rel=1e-12)


def test_weights_sum_to_100(barlow):
    assert rma(*barlow).weights.sum() == pytest.approx(100.0)


def test_k2_and_identical_effects_are_valid():
    f = rma([0.2, 0.5], [0.01, 0.02], method="REML")
    assert np.isfinite(f.estimate) and f.k == 2
    g = rma([0.3, 0.3, 0.3], [0.01, 0.02, 0.03], method="REML")
    assert g.tau2 == 0.0 and g.estimate == pytest.approx(0.3)
    assert g.QE == pytest.approx(0.0, abs=1e-12)


def test_extreme_variance_ratios_fit():
    y = np.array([0.1, 0.3, -0.2, 0.5, 0.0])
    v = np.array([1e-12, 1e-6, 1.0, 1e3, 1e6])
    for m in ("DL", "REML", "PM"):
        f = rma(y, v, method=m)
        assert np.all(np.isfinite([f.estimate, f.se[0], f.tau2]))


@pytest.mark.parametrize("k", [0, 1])
def test_too_few_studies_for_random_effects(k):
    with pytest.raises((ModelError, InputError), match="k = 0|at least 2|no effect sizes"):
        rma(np.zeros(k), np.ones(k), method="REML")


@pytest.mark.parametrize("bad", [0.0, -0.1, np.nan])
def test_non_positive_or_missing_variance(bad):
    with pytest.raises(InputError, match="row"):
        rma([0.1, 0.2, 0.3], [0.1, bad, 0.1])


def test_more_moderators_than_k_minus_1():
    with pytest.raises(ModelError, match="at most k - 1"):
        rma([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], mods=np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]]))


def test_singular_design():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    with pytest.raises(ModelError, match="singular"):
        rma([0.1, 0.2, 0.3, 0.2, 0.1], [0.1] * 5, mods=np.column_stack([x, 2 * x]))


def test_non_convergence_names_iterations(barlow):
    with pytest.raises(ConvergenceError, match="1 iterations"):
        rma(*barlow, method="REML", control={"maxiter": 1, "threshold": 1e-30, "fallback": False})


def test_oscillating_scoring_falls_back_to_the_score_root():
    # plain Fisher scoring oscillates on this table (seen by hypothesis); the fallback
    # solves the REML score equation, which a bounded optimiser confirms
    from scipy import optimize

    from evsynth.engine.estimators import _loglik

    y = np.r_[np.zeros(21), 1.0]
    v = np.r_[np.ones(21), 0.125]
    f = rma(y, v, method="REML", control={"threshold": 1e-12, "maxiter": 1000})
    X = np.ones((22, 1))
    opt = optimize.minimize_scalar(
        lambda t: -_loglik(y, v, X, t, "REML"), bounds=(0, 5), method="bounded", options={"xatol": 1e-12}
    )
    assert f.tau2 == pytest.approx(opt.x, abs=1e-6)


def test_unknown_estimator_and_test():
    with pytest.raises(InputError, match="unknown tau"):
        rma([0.1, 0.2], [0.1, 0.1], method="XX")
    with pytest.raises(InputError, match="unknown test"):
        rma([0.1, 0.2], [0.1, 0.1], test="wald")


def test_qprofile_ci_brackets_estimate(barlow):
    f = rma(*barlow)
    c = confint_tau2(f)
    assert c.tau2_ci_lb <= f.tau2 <= c.tau2_ci_ub
    assert c.I2_ci_lb <= f.I2 <= c.I2_ci_ub


def test_subgroup_between_q_matches_hand_computation():
    rng = np.random.default_rng(3)
    y = np.r_[rng.normal(0.2, 0.1, 6), rng.normal(0.6, 0.1, 6)]
    v = np.full(12, 0.02)
    g = ["a"] * 6 + ["b"] * 6
    s = subgroup(y, v, g, method="DL")
    est = np.array([s.fits["a"].estimate, s.fits["b"].estimate])
    w = 1 / np.array([s.fits["a"].se[0], s.fits["b"].se[0]]) ** 2
    m = np.sum(w * est) / np.sum(w)
    assert s.Q_between == pytest.approx(np.sum(w * (est - m) ** 2))
    assert s.df_between == 1


def test_summary_reads_like_metafor(barlow):
    text = rma(*barlow, test="knha").summary()
    assert "Random-Effects Model (k = 26; tau^2 estimator: REML)" in text
    assert "Test for Heterogeneity" in text and "Prediction interval" in text


def test_estimate_tau2_is_linear_memory():
    # k = 200,000: the univariate fit must not build a k x k matrix (that would need 320 GB)
    rng = np.random.default_rng(0)
    k = 200_000
    v = rng.uniform(0.01, 0.1, k)
    y = rng.normal(0.3, np.sqrt(v + 0.05))
    t = estimate_tau2(y, v, np.ones((k, 1)), "REML")
    assert t.tau2 == pytest.approx(0.05, rel=0.1)
