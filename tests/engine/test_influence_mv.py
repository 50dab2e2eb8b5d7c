"""influence_mv (issue 15 item 7, issue 16): Cook's distances, DFBETAS and hat values of
multilevel fits against metafor (tests/r/influence_mv.R -> tests/r/influence_mv.json:
``reestimate=FALSE`` per effect size and per cluster, re-estimated per cluster), and the
O(k) downdating route against refits with the variance components held fixed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evsynth.engine import mvblocks as mb
from evsynth.engine import influence_mv, rma_mv, vcalc

from conftest import ROOT, SHARED

R_OUT = json.loads((ROOT / "tests" / "r" / "influence_mv.json").read_text())
K11 = pd.read_csv(SHARED / "golden" / "data" / "konstantopoulos2011.csv")
B98 = pd.read_csv(SHARED / "golden-breadth" / "data" / "berkey1998.csv")


def _fit(name):
    d = K11
    if name == "k11_reml_desc":  # cluster labels in descending order of appearance
        return rma_mv(d.yi, d.vi, [d.district, d.school], method="REML"), 1000 - d.district
    if name == "k11_reml":
        return rma_mv(d.yi, d.vi, [d.district, d.school], method="REML"), d.district
    if name == "k11_ml_t_year":
        return rma_mv(
            d.yi, d.vi, [d.district, d.school], (d.year - 1990).to_numpy()[:, None], method="ML", test="t"
        ), d.district
    if name == "k11_one_level":
        return rma_mv(d.yi, d.vi, [d.district], method="REML"), d.district
    b = B98
    al = (b.outcome == "AL").to_numpy(float)[:, None]
    if name == "b98_cs":
        return rma_mv(
            b.yi,
            b.vi,
            [],
            al,
            method="REML",
            struct={"type": "CS", "inner": b.outcome, "outer": b.trial, "levels": ["PD", "AL"]},
        ), b.trial
    if name == "b98_vcalc":
        return rma_mv(
            b.yi, b.vi, [b.trial, b.outcome], al, method="REML", V=vcalc(b.vi, b.trial, obs=b.outcome, rho=0.5)
        ), b.trial
    raise KeyError(name)


def _check(r, want, per_cluster=False, rtol=1e-5, atol=1e-9):
    # rtol 1e-5: metafor's optimiser stops within about 1e-6 of the variance components evsynth finds
    np.testing.assert_allclose(r.cooks_distance, want["cooks_distance"], rtol=rtol, atol=atol)
    np.testing.assert_allclose(
        r.dfbetas, np.array(want["dfbetas"], float).reshape(r.dfbetas.shape), rtol=rtol, atol=atol
    )  # (one coefficient: the JSON holds a number per row)
    if not per_cluster:
        np.testing.assert_allclose(r.hat, want["hat"], rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(R_OUT["fixed"]))
def test_fixed_components_match_metafor(name):
    f, _ = _fit(name)
    want = R_OUT["fixed"][name]
    if f.struct_type is None:
        np.testing.assert_allclose(f.sigma2, np.atleast_1d(want["sigma2"]), rtol=1e-5, atol=1e-8)
    else:
        assert f.struct_tau2 == pytest.approx(want["tau2"], rel=1e-5) and f.struct_rho == pytest.approx(
            want["rho"], rel=1e-5
        )
    _check(influence_mv(f, reestimate=False), want)


@pytest.mark.parametrize("name", sorted(R_OUT["cluster_fixed"]))
def test_fixed_components_per_cluster_match_metafor(name):
    f, cl = _fit(name)
    want = R_OUT["cluster_fixed"][name]
    r = influence_mv(f, reestimate=False, cluster=cl)
    assert [str(g) for g in r.groups] == want["ids"]
    _check(r, want, per_cluster=True)


@pytest.mark.parametrize("name", sorted(R_OUT["cluster_reestimated"]))
def test_reestimated_per_cluster_matches_metafor(name):
    f, cl = _fit(name)
    want = R_OUT["cluster_reestimated"][name]
    r = influence_mv(f, cluster=cl)
    assert [str(g) for g in r.groups] == want["ids"]
    _check(r, want, per_cluster=True, rtol=1e-4, atol=1e-7)


def _random(seed, n_cl=30, levels=2, p=2):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, n_cl)
    cl = np.repeat(np.arange(n_cl), sizes)
    rng.shuffle(cl)  # clusters need not be contiguous
    k = cl.size
    v = rng.uniform(0.01, 0.1, k)
    x = rng.normal(size=(k, p - 1))
    y = 0.3 + x @ np.full(p - 1, 0.1) + rng.normal(0, 0.2, n_cl)[cl] + rng.normal(0, np.sqrt(v + 0.03))
    groups = [cl, np.arange(k)][:levels]
    return y, v, x, cl, groups


def _refits_fixed(f, sets):
    """The reference: one refit per deleted set with every sigma^2 held at the full fit's."""
    d = []
    for rows in sets:
        keep = np.ones(f.k, bool)
        keep[rows] = False
        d.append(f.beta - f.refit(keep, sigma2_fixed=f.sigma2).beta)
    return np.array(d)


@pytest.mark.parametrize("seed,levels,general", [(1, 2, False), (2, 1, False), (3, 2, True), (4, 1, True)])
def test_downdating_equals_refits_with_fixed_components(seed, levels, general, monkeypatch):
    y, v, x, cl, groups = _random(seed, levels=levels)
    if general:  # the per-block route (inverse of each block) instead of the rank-one form
        monkeypatch.setattr(mb, "_FAST", False)
    f = rma_mv(y, v, groups, x)
    k = f.k
    r = influence_mv(f, reestimate=False)
    want = _refits_fixed(f, [[i] for i in range(k)])
    np.testing.assert_allclose(r.dfbetas * np.sqrt(np.diag(f.vb)), want, rtol=1e-8, atol=1e-11)
    rc = influence_mv(f, reestimate=False, cluster=cl)
    labels = sorted(set(cl.tolist()))  # metafor orders the clusters by label
    want_c = _refits_fixed(f, [np.flatnonzero(cl == g) for g in labels])
    np.testing.assert_allclose(rc.dfbetas * np.sqrt(np.diag(f.vb)), want_c, rtol=1e-8, atol=1e-11)
    assert rc.groups == labels


def test_known_v_downdating_equals_refits():
    y, v, x, cl, groups = _random(5)
    f = rma_mv(y, v, groups, x, V=vcalc(v, cl, obs=groups[1], rho=0.6))
    r = influence_mv(f, reestimate=False)
    want = _refits_fixed(f, [[i] for i in range(f.k)])
    np.testing.assert_allclose(r.dfbetas * np.sqrt(np.diag(f.vb)), want, rtol=1e-8, atol=1e-11)


def test_a_deletion_that_leaves_a_coefficient_unidentified_is_nan():
    y, v, x, cl, groups = _random(6, p=2)
    d = np.zeros(y.size)
    d[3] = 1.0  # a dummy only row 3 has
    f = rma_mv(y, v, groups, np.column_stack([x, d]))
    r = influence_mv(f, reestimate=False)
    assert np.isnan(r.cooks_distance[3]) and np.isnan(r.dfbetas[3]).all()
    assert np.isfinite(np.delete(r.cooks_distance, 3)).all()


def test_summary_and_frame_per_cluster():
    f, cl = _fit("k11_reml")
    r = influence_mv(f, reestimate=False, cluster=cl)
    fr = r.to_frame()
    assert list(fr.columns) == ["cluster", "cooks_distance", "dfbetas_intrcpt"] and len(fr) == len(r.groups)
    assert "clusters deleted in turn" in r.summary()


@pytest.mark.parametrize("seed,levels,method", [(7, 2, "REML"), (8, 1, "ML")])
def test_lean_reestimation_equals_refits(seed, levels, method, monkeypatch):
    """The re-estimated deletions of a rank-one structure (Fisher scoring on the rows left,
    warm-started at the full fit) give what rma_mv refits give (the golden cases compare
    both routes' parent with metafor)."""
    from evsynth.engine import casedeletion

    y, v, x, cl, groups = _random(seed, n_cl=15, levels=levels)
    f = rma_mv(y, v, groups, x, method=method)
    lean = influence_mv(f)
    lean_c = influence_mv(f, cluster=cl)
    monkeypatch.setattr(casedeletion, "_refit_lean", casedeletion._refit_full)
    ref = influence_mv(f)
    ref_c = influence_mv(f, cluster=cl)
    for a, b in ((lean, ref), (lean_c, ref_c)):
        np.testing.assert_allclose(a.cooks_distance, b.cooks_distance, rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(a.dfbetas, b.dfbetas, rtol=1e-7, atol=1e-10)


def test_deletion_that_leaves_too_few_rows_gives_nan_not_an_error():
    """Deleting any row of a k = 4 three-level fit with three coefficients leaves fewer rows
    than a fit needs: every re-estimated deletion is NaN (as metafor's NA), the hat values
    stay (they need no deletion).  This path once raised a NameError."""
    y = np.array([0.1, 0.5, 0.3, 0.2])
    v = np.array([0.01, 0.02, 0.015, 0.03])
    x = np.array([0.0, 1.0, 2.0, 4.0])
    f = rma_mv(y, v, [np.array([1, 1, 2, 2]), np.arange(4)], np.column_stack([x, x**2]))
    r = influence_mv(f)
    assert np.isnan(r.cooks_distance).all() and np.isnan(r.dfbetas).all()
    assert np.isfinite(r.hat).all() and r.hat.sum() == pytest.approx(f.p)
