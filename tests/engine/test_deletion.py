"""Leave-one-out and influence in O(k) (issue 16 item 4): the downdated, batched route of
:mod:`evsynth.engine.deletion` against the reference route that refits the model k times
(``rma`` on each subset; metafor's own definition of ``leave1out``/``influence``), for
every estimator, test and with moderators; the golden cases compare both with metafor."""

from __future__ import annotations

import numpy as np
import pytest

from evsynth.engine import deletion, rma
import evsynth.engine as eng
from evsynth.engine import casedeletion as cd
from evsynth.errors import ModelError

METHODS = ("EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")


def _data(k, seed, tau2=0.05):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.005, 0.3, k)
    x = rng.normal(size=k)
    y = rng.normal(0.3 + 0.2 * x, np.sqrt(v + tau2))
    return y, v, x


def _compare(f, tol=1e-8):
    # PM: the reference refits search the root with a tight tolerance (metafor's default
    # uniroot tolerance, 1.2e-4 on tau^2, is coarser than the Newton steps of the batched route)
    con = {"tol": 1e-13} if f.method == "PM" else None
    new = eng.leave1out(f)
    old = cd._leave1out_refit(f, control=con)
    for c in cd._L1O_FIELDS:
        np.testing.assert_allclose(getattr(new, c), old[c], rtol=tol, atol=tol, err_msg=f"leave1out {c}")
    if f.k - f.p >= 2:
        ni = eng.influence(f)
        oi = cd._influence_refit(f, control=con)
        for c, want in oi.items():
            np.testing.assert_allclose(getattr(ni, c), want, rtol=tol, atol=tol, err_msg=f"influence {c}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k,seed,tau2", [(6, 1, 0.0), (13, 2, 0.05), (40, 3, 0.3)])
def test_batched_route_equals_refits(method, k, seed, tau2):
    y, v, x = _data(k, seed, tau2)
    for mods, test in ((None, "z"), (x[:, None], "knha"), (None, "adhoc")):
        _compare(rma(y, v, mods, method=method, test=test))


@pytest.mark.parametrize("method", ("DL", "REML", "PM", "EB"))
def test_exact_sums_where_the_series_is_not_used(method, monkeypatch):
    """Radius 0: every left-out fit is summed exactly (the route of fits far from the centre)."""
    y, v, x = _data(15, 7, 0.1)
    f = rma(y, v, x[:, None], method=method)
    monkeypatch.setattr(deletion, "_RADIUS", 0.0)
    d = deletion.loo_fits(f)
    assert d["exact"] >= f.k
    _compare(f)


@pytest.mark.parametrize("method", ("DL", "REML"))
def test_fits_far_from_the_full_fit_are_summed_exactly(method):
    # a tau^2 near 0 in the full data with one very precise study: left-out fits whose tau^2 is
    # several times larger lie outside the series' radius (min v + tau^2) and are summed exactly
    y = np.array([0.0, 0.02, -0.01, 0.6, 0.01, 0.03, -0.02, 0.0])
    v = np.array([1e-4, 0.05, 0.04, 0.05, 0.06, 0.05, 0.04, 0.05])
    f = rma(y, v, method=method)
    assert deletion.loo_fits(f)["exact"] > 0
    _compare(f)


def test_larger_k_meta_regression():
    y, v, x = _data(300, 11, 0.04)
    X = np.column_stack([x, x**2])
    _compare(rma(y, v, X, method="REML", test="knha"), tol=1e-8)


def test_too_few_effects_for_the_left_out_fits():
    f = rma([0.1, 0.3, 0.2], [0.01, 0.02, 0.03], [1.0, 2.0, 4.0])
    with pytest.raises(ModelError, match="p \\+ 2"):
        eng.leave1out(f)
    with pytest.raises(ModelError):  # the reference route refuses too (rma on 2 effects, 2 coefficients)
        cd._leave1out_refit(f)


def test_row_labels_are_made_when_read():
    """Without study labels the omitted / study labels are the row numbers "1" .. "k" (made
    when read), equal to the list of those strings in every use."""
    y, v, x = _data(7, 5, 0.05)
    f = rma(y, v)
    want = [str(i) for i in range(1, 8)]
    for labels in (eng.leave1out(f).omitted, eng.influence(f).study):
        assert labels == want and list(labels) == want and len(labels) == 7
        assert labels[0] == "1" and labels[-1] == "7" and labels[2:4] == ["3", "4"]
    assert list(eng.leave1out(f).to_frame()["omitted"]) == want
    assert eng.leave1out(f, slab=list("abcdefg")).omitted == list("abcdefg")
    assert eng.cumul(f, order=-np.arange(7)).added == want[::-1]


def test_influential_flag_uses_the_chi2_median_as_pchisq():
    """metafor's criterion pchisq(cook, p) > 0.5, evaluated as cook above the chi^2 median."""
    from scipy import special

    for p in (1, 2, 3):
        med = special.chdtri(p, 0.5)
        x = np.concatenate(
            [np.random.default_rng(p).exponential(p, 2000), [med, np.nextafter(med, 0), np.nextafter(med, 10), np.nan]]
        )
        np.testing.assert_array_equal(cd._above_chi2_median(x, p), special.chdtr(p, x) > 0.5)
