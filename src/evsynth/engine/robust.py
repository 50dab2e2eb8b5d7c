"""Cluster-robust variance estimation: the CR2 bias-reduced linearisation estimator
with Satterthwaite degrees of freedom (Pustejovsky & Tipton, 2018), as clubSandwich's
``vcovCR(type = "CR2")`` and ``coef_test(test = "Satterthwaite")`` with the model's
inverse-variance working model as target.

Cost is linear in k: the adjustment matrices are per cluster, and the Satterthwaite
degrees of freedom use the identity  G' Phi G = diag(a) - S M S'  (J x J never formed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from evsynth.errors import InputError, ModelError
from evsynth.engine.checks import level_percent
from evsynth.engine.linalg import factorize
from scipy import stats

from evsynth.engine.printing import FOOTSYM, SIGNIF_LEGEND
from evsynth.engine.results import Coefs, Fitted, WaldTest, coef_block, wald_test

__all__ = ["RobustResult", "robust"]


@dataclass(eq=False)
class RobustResult(Fitted):
    """A fit with cluster-robust (CR2) inference.  It wraps the fit it came from
    (``fit``) and behaves like one: the coefficient block ``coefs`` holds the robust
    covariance ``vb``, t statistics with per-coefficient Satterthwaite ``df``, p-values
    and CIs; every other field (``tau2``, ``sigma2``, ``QE``, ``k``, ``method``, ...) is
    the wrapped fit's; ``predict()`` uses the robust ``vb`` and the Satterthwaite df of
    each linear combination (clubSandwich's ``linear_contrast``, as metafor's ``predict``
    on ``robust(..., clubSandwich=TRUE)``).  ``QM``/``QMp``/``QMdf`` are the HTZ test of the
    fit's ``btt`` (clubSandwich's ``Wald_test(test = "HTZ")``, as metafor reports it; None
    when the robust covariance of the tested coefficients is singular)."""

    fit: object
    coefs: Coefs
    n_clusters: int
    wald: WaldTest | None = None
    _parts: tuple = field(default=None, repr=False)
    cluster_sizes: np.ndarray | None = None  # effect sizes per cluster

    def __getattr__(self, name):  # fields of the wrapped fit
        if name.startswith("_") or name in ("fit", "coefs", "wald", "n_clusters"):
            raise AttributeError(name)
        return getattr(self.fit, name)

    @property
    def multilevel(self) -> bool:
        return self.fit.multilevel

    def model_weights(self):
        return self.fit.model_weights()

    def _pi_variance(self):
        return self.fit._pi_variance()

    def _pred_df(self, xs):
        if xs is None:
            return self.df
        return np.array([_satterthwaite(self._parts, c) for c in xs])

    def anova(self, btt=None, *, L=None) -> WaldTest:
        """HTZ Wald test (Tipton & Pustejovsky, 2015) of the coefficients ``btt`` (0-based)
        or of the contrasts ``L @ beta``, with the CR2 covariance matrix."""
        return _htz_test(self._parts, self.beta, self.vb, btt, L)

    def summary(self) -> str:
        """As metafor prints robust(fit, cluster, clubSandwich=TRUE): the wrapped fit's model,
        variance and heterogeneity lines, the clusters, the HTZ moderator test and the
        coefficient table with the robust columns footnoted."""
        base = self.fit.summary().split("\n")
        stop = next(i for i, ln in enumerate(base) if ln.startswith(("Test of Moderators", "Model Results:")))
        lines = base[:stop]
        n = np.asarray(self.cluster_sizes if self.cluster_sizes is not None else [], float)
        if n.size:
            med = float(np.median(n))
            lines += [
                f"Number of estimates:   {self.k}",
                f"Number of clusters:    {self.n_clusters}",
                f"Estimates per cluster: {int(n.min())}-{int(n.max())} (mean: {n.mean():.2f}, median: {med:g})",
                "",
            ]
        if self.p > 1 and self.wald is not None:
            head, test = self.wald.summary().split("\n")
            lines += [head + FOOTSYM, test, ""]
        lines += ["Model Results:", ""]
        lines += self.coefs.format_rows(footnoted=("se", "tval", "zval", "df", "pval", "ci.lb", "ci.ub"))
        tests = "t/F-tests and confidence intervals" if self.p > 1 else "t-test and confidence interval"
        return "\n".join(
            lines
            + [""]
            + SIGNIF_LEGEND
            + [
                "",
                "1) results based on cluster-robust inference (var-cov estimator: CR2,",
                f"   approx {tests}, df: Satterthwaite approx)",
            ]
        )


def _cluster_blocks(fit, cluster: np.ndarray):
    """Per cluster: row indices and the working covariance Phi_j (block diagonal in the
    random-effects blocks that make up the cluster)."""
    codes = factorize(cluster, what="clustering variable")
    J = int(codes.max()) + 1 if codes.size else 0
    if J < 2:
        raise ModelError("cluster-robust inference needs at least 2 clusters")
    if not fit.multilevel:
        order = np.argsort(codes, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=J))])
        rows = [order[starts[j] : starts[j + 1]] for j in range(J)]
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
            P[o : o + m, o : o + m] = Vb
            o += m
        rows.append(r)
        phis.append(P)
    return rows, phis, J


def _inv_sqrt_psd(G: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    w, U = np.linalg.eigh(G)
    wp = np.where(w > tol, np.abs(w) ** -0.5, 0.0)
    return (U * wp) @ U.T


def robust(fit, cluster, level: float | None = None) -> RobustResult:
    """Cluster-robust inference for a fitted model: CR2 standard errors and t tests with
    Satterthwaite degrees of freedom (metafor's ``robust(fit, cluster, clubSandwich=TRUE)``).

    Parameters
    ----------
    fit : RMAResult or RMAMVResult
        The model; its random effects must be nested within the clusters.
    cluster : array_like, shape (k,)
        Cluster of each effect size (no missing values).
    level : float, optional
        Confidence level: 95 or 0.95 both mean 95 % (default: the fit's).

    Returns
    -------
    RobustResult
        Wraps ``fit``: robust coefficient block (``vb``, ``se``, ``stat``, per-coefficient
        ``df``, ``pval``, ``ci_lb``, ``ci_ub``), ``n_clusters``; the other fields are the
        fit's; ``predict()`` uses the robust ``vb`` and Satterthwaite df.

    References
    ----------
    Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust
    variance estimation and hypothesis testing in fixed effects models. Journal of
    Business & Economic Statistics, 36(4), 672-683.
    """
    cluster = np.asarray(cluster)
    if cluster.shape[0] != fit.k:
        raise InputError(f"cluster has {cluster.shape[0]} values but the model has {fit.k} effect sizes")
    level = fit.level if level is None else level_percent(level)
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
    parts = (M, X, rows, phis, E)
    dfs = np.array([_satterthwaite(parts, np.eye(p)[t]) for t in range(p)])
    coefs = coef_block(list(fit.coef_names), beta.copy(), vb, dist="t", df=dfs, level=level)
    try:
        wald = _htz_test(parts, beta, vb, fit.btt, None)
    except ModelError:  # e.g. more tested coefficients than clusters: the coefficients still stand
        wald = None
    return RobustResult(fit, coefs, J, wald, _parts=parts, cluster_sizes=np.array([len(r) for r in rows]))


def _htz_test(parts, beta, vb, btt, L) -> WaldTest:
    """Approximate Hotelling T^2 test with CR2 (clubSandwich's ``HTZ``): Q from the shared
    Wald test, F = (eta - q + 1) / (eta q) Q with (q, eta - q + 1) df, where eta is the
    Satterthwaite-type df of a Wishart approximation (Tipton & Pustejovsky, 2015; the
    variances of the standardised CR2 entries use the same identities as the
    per-coefficient df, so no J x J matrix is formed)."""
    chi = wald_test(beta, vb, btt, L=L, dist="z")
    if L is not None:
        C = np.atleast_2d(np.asarray(L, float))
    else:
        btt = list(range(beta.size)) if btt is None else list(btt)
        C = np.eye(beta.size)[btt]
    q = C.shape[0]
    M, X, rows, phis, E = parts
    MC = M @ C.T  # p x q
    U = [Ej.T @ MC for Ej in E]  # per cluster n_j x q: A_j W_j X_j M C'
    S = np.stack([X[r].T @ Uj for r, Uj in zip(rows, U)])  # J x p x q
    A = np.stack([Uj.T @ P @ Uj for Uj, P in zip(U, phis)])  # J x q x q
    D = np.einsum("jps,pr,jrt->jst", S, M, S)
    w, V = np.linalg.eigh((A - D).sum(axis=0))  # Omega = E(C V^R C') under the working model
    if np.any(w <= 0):
        raise ModelError("the cluster-robust test cannot be computed: the tested contrasts are not estimable")
    R = (V * w**-0.5) @ V.T  # Omega^{-1/2}
    A, D, S = R @ A @ R, R @ D @ R, S @ R
    B = A - D
    Q = np.einsum("jps,jrt->stpr", S, S)  # S^s' S^t (p x p) for each s, t
    MQ = np.einsum("pr,strk->stpk", M, Q)
    tr4 = np.einsum("uvpk,stkp->uvst", MQ, MQ)  # tr(M Q_uv M Q_st)
    var = (
        np.einsum("jts,jts->st", B, B)
        - np.einsum("jts,jts->st", D, D)
        + np.einsum("stst->st", tr4)
        + np.einsum("jtt,jss->st", B, B)
        - np.einsum("jtt,jss->st", D, D)
        + np.einsum("tsst->st", tr4)
    )
    eta = q * (q + 1) / float(np.sum(var))
    F = (eta - q + 1) / (eta * q) * chi.QM
    df2 = eta - q + 1
    return WaldTest(float(F), float(stats.f.sf(F, q, df2)), (q, df2), "t", chi.btt, chi.L)


def _satterthwaite(parts, c) -> float:
    """Satterthwaite degrees of freedom of the linear combination c' beta under CR2
    (Pustejovsky & Tipton, 2018, eq. 11), without forming J x J matrices."""
    M, X, rows, phis, E = parts
    J = len(rows)
    Mc = M @ np.asarray(c, float)
    a = np.zeros(J)
    S = np.zeros((J, M.shape[0]))
    for j, (r, P, Ej) in enumerate(zip(rows, phis, E)):
        u = Ej.T @ Mc  # A_j W_j X_j M c
        a[j] = u @ P @ u
        S[j] = X[r].T @ u
    SM = S @ M
    d = np.einsum("jp,jp->j", SM, S)  # diag(S M S')
    StS = S.T @ S
    MS = M @ StS
    frob = np.sum(a**2) - 2 * np.sum(a * d) + np.sum(MS * MS.T)
    return float((np.sum(a) - np.sum(d)) ** 2 / frob)
