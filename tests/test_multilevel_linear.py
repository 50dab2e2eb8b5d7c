"""The three-level model in O(k) (issue 16 item 5): the diagonal-plus-rank-one route
(Sherman-Morrison, the matrix determinant lemma, cluster sums by np.bincount) gives what
the general route of batched Cholesky factorisations of each block gives, for the
likelihood, its gradient, the expected information and the fitted models; metafor's values
for these models are the golden cases (konstantopoulos2011.mv.*, fukkinklont2007.mv.*)."""

from __future__ import annotations

import numpy as np
import pytest

from evsynth.engine import multilevel as ml


def _data(n_cl, seed, max_size=6):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_size, n_cl)
    cl = np.repeat(np.arange(n_cl), sizes)
    rng.shuffle(cl)  # clusters need not be contiguous
    k = cl.size
    v = rng.uniform(0.01, 0.1, k)
    x = rng.normal(size=k)
    y = 0.3 + 0.1 * x + rng.normal(0, 0.2, n_cl)[cl] + rng.normal(0, np.sqrt(v + 0.03))
    return y, v, x, cl


@pytest.mark.parametrize("levels", (1, 2))
@pytest.mark.parametrize("reml", (True, False))
@pytest.mark.parametrize("sigma2", ([0.04, 0.02], [0.0, 0.05], [0.3, 0.0], [0.0, 0.0]))
def test_evaluation_equals_the_block_route(levels, reml, sigma2):
    y, v, x, cl = _data(25, 1)
    X = np.column_stack([np.ones_like(y), x])
    groups = [cl, np.arange(y.size)][:levels]
    bs = ml.BlockStructure(groups)
    assert bs.diag_rank1
    s2 = np.asarray(sigma2[:levels], float)
    fast = ml._evaluate_dr1(y, v, X, bs, s2, reml)
    ml_fast, ml._FAST = ml._FAST, False
    try:
        gen = ml._evaluate(y, v, X, bs, s2, reml)
    finally:
        ml._FAST = ml_fast
    assert fast.ll == pytest.approx(gen.ll, rel=1e-12)
    assert fast.rVr == pytest.approx(gen.rVr, rel=1e-12)
    np.testing.assert_allclose(fast.beta, gen.beta, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(fast.M, gen.M, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(fast.score, gen.score, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(fast.info, gen.info, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("seed", (2, 3, 4))
@pytest.mark.parametrize("method", ("REML", "ML"))
def test_fits_equal_the_block_route(seed, method, monkeypatch):
    y, v, x, cl = _data(12 * seed, seed)
    for groups, mods in (([cl, np.arange(y.size)], None), ([cl, np.arange(y.size)], x[:, None]), ([cl], x[:, None])):
        fast = ml.rma_mv(y, v, groups, mods, method=method)
        monkeypatch.setattr(ml, "_FAST", False)
        gen = ml.rma_mv(y, v, groups, mods, method=method)
        monkeypatch.setattr(ml, "_FAST", True)
        np.testing.assert_allclose(fast.sigma2, gen.sigma2, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(fast.beta, gen.beta, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(fast.se, gen.se, rtol=1e-8, atol=1e-10)
        assert fast.ll == pytest.approx(gen.ll, rel=1e-10)


def test_route_applies_only_to_diagonal_plus_rank_one():
    y, v, x, cl = _data(10, 5)
    inner = np.arange(y.size) // 2  # two effects per inner group: not rank one per cluster
    assert not ml.BlockStructure([cl, inner]).diag_rank1
    assert not ml.BlockStructure([cl, np.arange(y.size), np.arange(y.size)]).diag_rank1
    assert not ml.BlockStructure([cl], knownV=ml.vcalc(v, cl, rho=0.5)).diag_rank1
    assert ml.BlockStructure([cl, np.arange(y.size)]).diag_rank1
