"""Diagnostics without a metafor reference case (PET-PEESE, permutation test) against
second implementations; the others are covered by test_golden.py."""

import numpy as np
import pandas as pd
import pytest

import evsynth.engine as eng
from evsynth.engine import rma

from conftest import GOLDEN


@pytest.fixture(scope="module")
def barlow():
    d = pd.read_csv(GOLDEN / "data" / "barlow2014.csv")
    return d["y"].to_numpy(), d["s2"].to_numpy()


def test_pet_peese_matches_statsmodels_wls(barlow):
    import statsmodels.api as sm

    y, v = barlow
    r = eng.pet_peese(y, v)
    pet = sm.WLS(y, sm.add_constant(np.sqrt(v)), weights=1 / v).fit()
    peese = sm.WLS(y, sm.add_constant(v), weights=1 / v).fit()
    assert r.pet_estimate == pytest.approx(pet.params[0], rel=1e-10)
    assert r.pet_se == pytest.approx(pet.bse[0], rel=1e-10)
    assert r.pet_pval == pytest.approx(pet.pvalues[0], rel=1e-8)
    assert r.peese_estimate == pytest.approx(peese.params[0], rel=1e-10)
    assert r.use_peese == (pet.pvalues[0] < 0.05)


def _loop_permutation(fit, iterations, seed):
    """Permutation test by refitting one permutation at a time (test only)."""
    rng = np.random.default_rng(seed)
    perms = np.argsort(rng.random((iterations, fit.k)), axis=1)
    qm = np.array(
        [
            rma(
                fit.yi[p],
                fit.vi[p],
                fit.X,
                intercept=False,
                method=fit.method,
                test=fit.test,
                btt=fit.btt,
                compute_r2=False,
                control={"threshold": 1e-12},
            ).QM
            for p in perms
        ]
    )
    return (1 + np.sum(qm >= fit.QM - 1e-8 * max(1, abs(fit.QM)))) / (1 + iterations)


@pytest.mark.parametrize("method,test", [("REML", "z"), ("DL", "knha"), ("ML", "z")])
def test_vectorised_permutation_equals_one_by_one_refits(method, test):
    d = pd.read_csv(GOLDEN / "data" / "bangertdrowns2004.csv").dropna(subset=["length"])
    fit = rma(d["yi"], d["vi"], d[["length"]], method=method, test=test, control={"threshold": 1e-12})
    fast = eng.permutest(fit, iterations=199, seed=5)
    assert fast.pval_QM == pytest.approx(_loop_permutation(fit, 199, 5), abs=1e-12)
    assert fast.pval_QM == eng.permutest(fit, iterations=199, seed=5).pval_QM  # seeded: reproducible


def test_permutation_of_an_intercept_only_model_flips_signs(barlow):
    """Issue 15 asks for permutest on intercept-only models (metafor flips the signs of yi);
    exact p-values against metafor for every estimator are in test_breadth.py."""
    r = eng.permutest(rma(*barlow), iterations=99, seed=2)
    assert r.iterations == 99 and 1 / 100 <= r.pval_coef[0] <= 1
    assert r.pval_coef[0] == eng.permutest(rma(*barlow), iterations=99, seed=2).pval_coef[0]


def test_trimfill_marks_filled_and_leave1out_shape(barlow):
    f = rma(*barlow)
    tf = eng.trimfill(f)
    assert tf.k == f.k + tf.k0 and len(tf.filled_yi) == tf.k0
    l1 = eng.leave1out(f).to_frame()
    assert len(l1) == f.k and set(["estimate", "se", "tau2", "I2", "QE"]) <= set(l1.columns)
    cm = eng.cumul(f, np.arange(f.k)).to_frame()
    assert cm["estimate"].iloc[-1] == pytest.approx(f.estimate, rel=1e-6)
