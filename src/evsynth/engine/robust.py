"""Cluster-robust variance estimation: the CR2 bias-reduced linearisation estimator
with Satterthwaite degrees of freedom (Pustejovsky & Tipton, 2018), as clubSandwich's
``vcovCR(type = "CR2")`` and ``coef_test(test = "Satterthwaite")`` with the model's
inverse-variance working model as target.

Cost is linear in k: the adjustment matrices are per cluster, and the Satterthwaite
degrees of freedom use the identity  G' Phi G = diag(a) - S M S'  (J x J never formed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evsynth.errors import InputError, ModelError
from evsynth.engine.models import RMAResult, _fmt_p

__all__ = ["RobustResult", "robust"]


@dataclass
class RobustResult:
    coef_names: list[str]
    beta: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    df: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    vb: np.ndarray
    k: int
    n_clusters: int
    level: float

    @property
    def estimate(self) -> float:
        return float(self.beta[0])

    def coef_table(self):
        return pd.DataFrame({"term": self.coef_names, "estimate": self.beta, "se": self.se, "tval": self.stat,
                             "df": self.df, "pval": self.pval, "ci_lb": self.ci_lb, "ci_ub": self.ci_ub})

    def summary(self) -> str:
        lines = [f"Cluster-robust inference (CR2, Satterthwaite df; k = {self.k}, clusters = {self.n_clusters})", "",
                 f"{'':>14s} {'estimate':>9s} {'se':>8s} {'tval':>8s} {'df':>7s} {'pval':>8s} {'ci.lb':>8s} {'ci.ub':>8s}"]
        for i, n in enumerate(self.coef_names):
            lines.append(f"{n[:14]:>14s} {self.beta[i]:9.4f} {self.se[i]:8.4f} {self.stat[i]:8.4f} {self.df[i]:7.2f} "
                         f"{_fmt_p(self.pval[i]):>8s} {self.ci_lb[i]:8.4f} {self.ci_ub[i]:8.4f}")
        return "\n".join(lines)


def _cluster_blocks(fit, cluster: np.ndarray):
    """Per cluster: row indices and the working covariance Phi_j (block diagonal in the
    random-effects blocks that make up the cluster)."""
    codes, uniq = pd.factorize(pd.Series(cluster))
    if (codes < 0).any():
        raise InputError("the clustering variable has missing values")
    if len(uniq) < 2:
        raise ModelError("cluster-robust inference needs at least 2 clusters")
    J = len(uniq)
    if isinstance(fit, RMAResult):
        order = np.argsort(codes, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=J))])
        rows = [order[starts[j]:starts[j + 1]] for j in range(J)]
        d = fit.vi + fit.tau2
        return rows, [np.diag(d[r]) for r in rows], J
    parts: list[list] = [[] for _ in range(J)]
    for brows, V in fit.marginal_blocks():
        for b in range(brows.shape[0]):
            cj = np.unique(codes[brows[b]])
            if cj.size > 1:
                raise ModelError("random effects are not nested within the clustering variable")
            parts[int(cj[0])].append((brows[b], V[b]))
    rows, phis = [], []
    for blocks in parts:
        r = np.concatenate([br for br, _ in blocks])
        n = r.size
        P = np.zeros((n, n))
        o = 0
        for br, Vb in blocks:
            m = br.size
            P[o:o + m, o:o + m] = Vb
            o += m
        rows.append(r)
        phis.append(P)
    return rows, phis, J


def _inv_sqrt_psd(G: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    w, U = np.linalg.eigh(G)
    wp = np.where(w > tol, np.abs(w) ** -0.5, 0.0)
    return (U * wp) @ U.T


def robust(fit, cluster, level: float | None = None) -> RobustResult:
    """CR2 cluster-robust standard errors, t tests with Satterthwaite df and CIs for a
    univariate (:func:`evsynth.models.rma`) or multilevel (:func:`evsynth.multilevel.rma_mv`) fit."""
    cluster = np.asarray(cluster)
    if cluster.shape[0] != fit.k:
        raise InputError(f"cluster has {cluster.shape[0]} values but the model has {fit.k} effect sizes")
    level = fit.level if level is None else level
    rows, phis, J = _cluster_blocks(fit, cluster)
    X, y, beta = fit.X, fit.yi, fit.beta
    p = X.shape[1]
    # bread: M = (X' W X)^-1 with W = Phi^-1 (model-based vcov without any KnHa scaling)
    Ws = [np.linalg.inv(P) for P in phis]
    M = np.zeros((p, p))
    for r, W in zip(rows, Ws):
        M += X[r].T @ W @ X[r]
    M = np.linalg.inv(M)
    resid = y - X @ beta
    meat = np.zeros((p, p))
    E = []  # X_j' W_j A_j  (p x n_j)
    for r, P, W in zip(rows, phis, Ws):
        Xj = X[r]
        R = np.linalg.cholesky(P).T  # upper: P = R'R
        G = R @ (P - Xj @ M @ Xj.T) @ R.T
        A = R.T @ _inv_sqrt_psd(G) @ R
        Ej = Xj.T @ W @ A
        c = Ej @ resid[r]
        meat += np.outer(c, c)
        E.append(Ej)
    vb = M @ meat @ M
    se = np.sqrt(np.diag(vb))
    # Satterthwaite df for each coefficient
    dfs = np.zeros(p)
    for t in range(p):
        c = np.zeros(p)
        c[t] = 1.0
        Mc = M @ c
        a = np.zeros(J)
        S = np.zeros((J, p))
        for j, (r, P, Ej) in enumerate(zip(rows, phis, E)):
            u = Ej.T @ Mc  # A_j W_j X_j M c
            a[j] = u @ P @ u
            S[j] = X[r].T @ u
        SM = S @ M
        d = np.einsum("jp,jp->j", SM, S)  # diag(S M S')
        StS = S.T @ S
        MS = M @ StS
        frob = np.sum(a**2) - 2 * np.sum(a * d) + np.sum(MS * MS.T)
        dfs[t] = (np.sum(a) - np.sum(d)) ** 2 / frob
    stat = beta / se
    pval = 2 * stats.t.sf(np.abs(stat), dfs)
    crit = stats.t.isf((1 - level / 100) / 2, dfs)
    return RobustResult(list(fit.coef_names), beta.copy(), se, stat, dfs, pval, beta - crit * se,
                        beta + crit * se, vb, fit.k, J, level)
