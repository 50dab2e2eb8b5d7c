"""Multilevel models: the block-diagonal fit against a dense second implementation
(the full marginal covariance and scipy's optimiser), and clear failures."""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from evsynth.errors import InputError, ModelError
from evsynth.engine import rma_mv

from conftest import GOLDEN


def dense_reml(y, v, X, groups):
    """REML by brute force: dense V, log-likelihood maximised by L-BFGS-B (test only)."""
    Z = []
    for l in range(len(groups)):
        key = pd.MultiIndex.from_arrays([np.asarray(g) for g in groups[: l + 1]])
        codes = pd.factorize(key)[0]
        Z.append((codes[:, None] == codes[None, :]).astype(float))

    def nll(theta):
        s2 = np.exp(theta)
        V = np.diag(v) + sum(s * A for s, A in zip(s2, Z))
        Vi = np.linalg.inv(V)
        XtViX = X.T @ Vi @ X
        b = np.linalg.solve(XtViX, X.T @ Vi @ y)
        r = y - X @ b
        return 0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(XtViX)[1] + r @ Vi @ r)

    res = optimize.minimize(
        nll,
        np.log(np.full(len(groups), 0.05)),
        method="L-BFGS-B",
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000},
    )
    s2 = np.exp(res.x)
    V = np.diag(v) + sum(s * A for s, A in zip(s2, Z))
    Vi = np.linalg.inv(V)
    M = np.linalg.inv(X.T @ Vi @ X)
    b = M @ X.T @ Vi @ y
    return s2, b, np.sqrt(np.diag(M))


def test_three_level_matches_dense_implementation():
    d = pd.read_csv(GOLDEN / "data" / "fukkinklont2007.csv")
    X = np.column_stack([np.ones(len(d)), (d["Supervision"] == "yes").astype(float)])
    s2, b, se = dense_reml(d["yi"].to_numpy(), d["vi"].to_numpy(), X, [d["id_exp"], d["es_id"]])
    f = rma_mv(d["yi"], d["vi"], [d["id_exp"], d["es_id"]], X[:, 1:], coef_names=["Supervision[yes]"])
    assert f.sigma2 == pytest.approx(s2, rel=1e-4)
    assert f.beta == pytest.approx(b, rel=1e-5)
    assert f.se == pytest.approx(se, rel=1e-4)


def test_deeper_nesting_and_unequal_blocks():
    rng = np.random.default_rng(11)
    rows = []
    for a in range(8):
        for b in range(rng.integers(1, 4)):
            for c in range(rng.integers(1, 4)):
                rows.append((a, b, c))
    g = np.array(rows)
    k = len(g)
    v = rng.uniform(0.01, 0.05, k)
    ua = rng.normal(0, 0.3, 8)[g[:, 0]]
    y = 0.2 + ua + rng.normal(0, np.sqrt(v + 0.02))
    groups = [g[:, 0], g[:, 1], g[:, 2]]
    s2, b, se = dense_reml(y, v, np.ones((k, 1)), groups)
    f = rma_mv(y, v, groups)
    assert f.beta[0] == pytest.approx(b[0], abs=1e-5)
    assert f.sigma2 == pytest.approx(s2, abs=1e-5)


def test_no_dense_kxk_for_large_k():
    # 20,000 clusters of 5: a dense V would be 10^5 x 10^5 (80 GB); the block fit is quick
    rng = np.random.default_rng(0)
    n_cl, m = 20_000, 5
    k = n_cl * m
    cl = np.repeat(np.arange(n_cl), m)
    v = rng.uniform(0.01, 0.1, k)
    y = 0.3 + rng.normal(0, 0.2, n_cl)[cl] + rng.normal(0, np.sqrt(v + 0.05))
    f = rma_mv(y, v, [cl, np.arange(k)])
    assert f.sigma2 == pytest.approx([0.04, 0.05], rel=0.15)


def test_multilevel_failures():
    with pytest.raises(InputError, match="ML or REML"):
        rma_mv([0.1, 0.2, 0.3], [0.1] * 3, [[1, 1, 2]], method="DL")
    with pytest.raises(ModelError, match="at least 2"):
        rma_mv([0.1], [0.1], [[1]])
    with pytest.raises(InputError, match="grouping variable has 2 values"):
        rma_mv([0.1, 0.2, 0.3], [0.1] * 3, [[1, 2]])


def test_summary_lists_variance_components():
    d = pd.read_csv(GOLDEN / "data" / "konstantopoulos2011.csv")
    f = rma_mv(d["yi"], d["vi"], [d["district"], d["school"]], group_names=["district", "school"])
    s = f.summary()
    assert "sigma^2.1" in s and "district/school" in s and "Multivariate Meta-Analysis Model (k = 56" in s
