"""Property-based tests (hypothesis): invariances of the engine and random valid tables
that must never crash."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evsynth.errors import EvsynthError
from evsynth.engine import rma

finite = st.floats(min_value=-3, max_value=3, allow_nan=False, allow_infinity=False)
variance = st.floats(min_value=1e-3, max_value=2.0, allow_nan=False, allow_infinity=False)


@st.composite
def tables(draw, min_k=3, max_k=25):
    k = draw(st.integers(min_k, max_k))
    y = np.array(draw(st.lists(finite, min_size=k, max_size=k)))
    v = np.array(draw(st.lists(variance, min_size=k, max_size=k)))
    return y, v


TIGHT = {"threshold": 1e-12, "tol": 1e-12, "maxiter": 1000}  # converge fully: invariances hold exactly
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = st.sampled_from(["EE", "DL", "HE", "REML", "ML", "PM", "SJ", "HS", "EB"])


@SETTINGS
@given(tables(), finite, METHODS)
def test_shift_invariance(t, c, method):
    y, v = t
    a, b = rma(y, v, method=method, control=TIGHT), rma(y + c, v, method=method, control=TIGHT)
    assert b.estimate == pytest.approx(a.estimate + c, abs=1e-6)
    assert b.tau2 == pytest.approx(a.tau2, abs=1e-6)


@SETTINGS
@given(tables(), st.randoms(use_true_random=False), METHODS)
def test_permutation_invariance(t, rnd, method):
    y, v = t
    idx = list(range(y.size))
    rnd.shuffle(idx)
    a, b = rma(y, v, method=method, control=TIGHT), rma(y[idx], v[idx], method=method, control=TIGHT)
    assert b.estimate == pytest.approx(a.estimate, abs=1e-8)
    assert b.se[0] == pytest.approx(a.se[0], abs=1e-8)


@SETTINGS
@given(tables(), st.floats(min_value=0.1, max_value=10), st.sampled_from(["EE", "DL", "HE", "PM", "SJ", "HS"]))
def test_scaling(t, s, method):
    # closed-form and root-found estimators are exactly scale-equivariant
    y, v = t
    a, b = rma(y, v, method=method, control=TIGHT), rma(s * y, s**2 * v, method=method, control=TIGHT)
    assert b.estimate == pytest.approx(s * a.estimate, rel=1e-6, abs=1e-6)
    assert b.se[0] == pytest.approx(s * a.se[0], rel=1e-5)


@SETTINGS
@given(tables(), METHODS)
def test_weights_sum_to_100(t, method):
    assert rma(*t, method=method).weights.sum() == pytest.approx(100.0)


@SETTINGS
@given(tables(min_k=1, max_k=8), METHODS, st.sampled_from(["z", "knha"]))
def test_random_valid_tables_never_crash(t, method, test):
    y, v = t
    try:
        f = rma(y, v, method=method, test=test)
    except EvsynthError:
        return  # a clear, expected refusal (e.g. k < 2 for random effects)
    assert np.isfinite(f.estimate) and np.isfinite(f.se[0]) and f.tau2 >= 0
