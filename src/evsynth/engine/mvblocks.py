"""The marginal covariance of a multilevel model, block by block, and the (restricted)
log-likelihood with its score and expected information evaluated on it.

* :class:`KnownV` / :func:`vcalc` -- a known sampling covariance with a constant
  within-cluster correlation (metafor's ``vcalc``), held as vi and cluster codes.
* :class:`BlockStructure` -- the rows grouped into outer blocks (the outermost grouping, merged
  with the clusters of a known V and the outer factor of a struct), stacked by block size, with
  the within-block indicator matrices of each nesting level.
* :func:`evaluate` -- log-likelihood, GLS coefficients, score and information at given variance
  components: batched Cholesky factorisations of the stacked blocks, O(sum n_j^3), no k x k
  matrix; where every level below the outermost is the row itself (and no known V or struct),
  the diagonal-plus-rank-one route (:func:`_evaluate_dr1`, linear in k; ``_FAST = False``
  forces the general blocks, for tests and benchmarks).

:mod:`evsynth.engine.multilevel` fits ``rma_mv`` on these; :mod:`evsynth.engine.casedeletion`
downdates them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evsynth.errors import InputError, ModelError
from evsynth.engine.linalg import factorize, inv_pd

__all__ = ["KnownV", "vcalc", "BlockStructure", "evaluate"]


class KnownV:
    """A known sampling covariance matrix that is block diagonal by ``cluster``: what
    metafor's ``vcalc(vi, cluster, obs, rho)`` builds with a constant within-cluster
    correlation.  Stored as vi, cluster codes and obs; blocks are formed on demand, so
    no k x k matrix exists."""

    def __init__(self, vi, cluster, obs=None, rho: float = 0.0):
        self.vi = np.asarray(vi, dtype=float).ravel()
        cl = np.asarray(cluster)
        if cl.shape[0] != self.vi.size:
            raise InputError(f"vcalc: cluster has {cl.shape[0]} values but vi has {self.vi.size}")
        if not (-1 <= rho <= 1):
            raise InputError(f"vcalc: rho must lie between -1 and 1, got {rho}")
        self.cluster = factorize(cl, what="vcalc cluster variable")
        self.obs = None
        if obs is not None:
            ob = np.asarray(obs)
            if ob.shape[0] != self.vi.size:
                raise InputError(f"vcalc: obs has {ob.shape[0]} values but vi has {self.vi.size}")
            self.obs = factorize(ob, what="vcalc obs variable")
            key = self.cluster.astype(np.int64) * (int(self.obs.max()) + 1) + self.obs
            _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
            dup = cnt[np.asarray(inv).ravel()] > 1
            if dup.any():
                i = int(np.flatnonzero(dup)[0])
                raise InputError(
                    f"vcalc: rows {', '.join(str(j + 1) for j in np.flatnonzero(dup)[:5])} share the "
                    f"same cluster and obs value (row {i + 1}); obs must distinguish the effect sizes "
                    "of a cluster"
                )
        self.rho = float(rho)

    @property
    def k(self) -> int:
        return self.vi.size

    def blocks(self, rows: np.ndarray) -> np.ndarray:
        """The covariance of the rows in each block: rows is (nb, n); returns (nb, n, n)."""
        sd = np.sqrt(self.vi[rows])
        same = self.cluster[rows][:, :, None] == self.cluster[rows][:, None, :]
        R = np.where(same, self.rho, 0.0)
        n = rows.shape[1]
        R[:, np.arange(n), np.arange(n)] = 1.0
        return R * sd[:, :, None] * sd[:, None, :]


def vcalc(vi, cluster, obs=None, rho: float = 0.0) -> KnownV:
    """Sampling covariance with a constant within-cluster correlation (metafor's ``vcalc``).

    Parameters
    ----------
    vi : array_like
        Sampling variances.
    cluster : array_like
        Cluster of each effect size (e.g. the study); effect sizes of different clusters
        are independent.
    obs : array_like, optional
        Identifies the effect sizes within a cluster (must be distinct within a cluster).
    rho : float
        The correlation of two sampling errors of the same cluster.

    Returns
    -------
    KnownV
        ``V[i,i] = vi``, ``V[i,j] = rho sqrt(vi vj)`` within a cluster, 0 between clusters;
        pass it as ``V=`` to :func:`rma_mv`.  Held blockwise (no k x k matrix).

    References
    ----------
    Pustejovsky, J. E., & Tipton, E. (2022). Meta-analysis with robust variance estimation:
    Expanding the range of working models. Prevention Science, 23(3), 425-438.
    """
    return KnownV(vi, cluster, obs, rho)


def _components(k: int, keys: list[np.ndarray]) -> np.ndarray:
    """Connected components of rows linked by sharing a label in any key (the smallest
    blocks that keep the covariance block diagonal)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(keys) == 1:
        return factorize(keys[0])
    rows, cols, off = [], [], k
    for key in keys:
        c = factorize(key)
        rows.append(np.arange(k))
        cols.append(off + c)
        off += int(c.max()) + 1
    r, c = np.concatenate(rows), np.concatenate(cols)
    g = coo_matrix((np.ones(r.size), (r, c)), shape=(off, off))
    return connected_components(g, directed=False)[1][:k]


class BlockStructure:
    """Rows grouped into outer blocks, with within-block indicator matrices for each
    nesting level, stacked by block size.  Blocks are the outermost grouping, merged
    with the clusters of a known V and the outer factor of a struct when given."""

    def __init__(
        self,
        groups: list[np.ndarray],
        *,
        knownV: KnownV | None = None,
        struct: dict | None = None,
        k: int | None = None,
    ):
        self.L = len(groups)
        k = len(groups[0]) if groups else int(k)
        # level-l group label = combination of the first l+1 grouping columns
        codes = []
        prev = None
        for l in range(self.L):
            c = factorize(groups[l], what="grouping variable")
            if prev is not None:  # the combination of the first l + 1 grouping columns
                c = factorize(prev * (int(c.max()) + 1) + c)
            codes.append(c)
            prev = c
        self.codes = codes
        self.n_levels = [int(c.max()) + 1 for c in codes]
        keys = [codes[0]] if codes else []
        if knownV is not None:
            keys.append(knownV.cluster)
        if struct is not None:
            keys.append(struct["outer_codes"])
        outer = _components(k, keys) if keys else np.arange(k)
        self.outer = outer
        self.k = k
        self.knownV = knownV
        self.struct = struct
        self._batches: list[dict] | None = None

    @property
    def diag_rank1(self) -> bool:
        """Nested random intercepts whose marginal covariance per outer cluster is diagonal
        plus rank one: one level, or two levels with one effect size per inner group
        (study / effect), diagonal sampling variances and no struct."""
        return (
            self.knownV is None
            and self.struct is None
            and self.L in (1, 2)
            and (self.L == 1 or self.n_levels[1] == self.k)
        )

    @property
    def batches(self) -> list[dict]:
        """Blocks stacked by size (built on first use): per size the row index matrix
        (nb, n) into the original rows and the within-block indicator matrices."""
        if self._batches is None:
            self._batches = self._build_batches()
        return self._batches

    def _build_batches(self) -> list[dict]:
        codes, knownV, struct = self.codes, self.knownV, self.struct
        outer = self.outer
        order = np.argsort(outer, kind="stable")
        self.order = order
        sizes = np.bincount(outer)
        batches: list[dict] = []
        starts = np.concatenate([[0], np.cumsum(sizes)])
        by_size: dict[int, list[int]] = {}
        for b, n in enumerate(sizes):
            by_size.setdefault(int(n), []).append(b)
        for n, blocks in sorted(by_size.items()):
            rows = np.stack([order[starts[b] : starts[b] + n] for b in blocks])  # (nb, n)
            inds = []
            for l in range(self.L):
                c = codes[l][rows]  # (nb, n)
                inds.append((c[:, :, None] == c[:, None, :]).astype(float))
            bt = {"n": n, "rows": rows, "ind": inds, "blocks": np.asarray(blocks)}
            if knownV is not None:
                bt["V0"] = knownV.blocks(rows)
            if struct is not None:
                oc = struct["outer_codes"][rows]
                ic = struct["inner_codes"][rows]
                bt["same_outer"] = (oc[:, :, None] == oc[:, None, :]).astype(float)
                bt["same_inner"] = bt["same_outer"] * (ic[:, :, None] == ic[:, None, :])
                bt["inner"] = ic
            batches.append(bt)
        return batches

    def sampling(self, bt: dict, v: np.ndarray) -> np.ndarray:
        """The sampling covariance of a batch's blocks."""
        if "V0" in bt:
            return bt["V0"].copy()
        rows = bt["rows"]
        V = np.zeros(rows.shape + (rows.shape[1],))
        V[:, np.arange(bt["n"]), np.arange(bt["n"])] = v[rows]
        return V

    def marginal(self, bt: dict, v, sigma2, spar=None) -> np.ndarray:
        V = self.sampling(bt, v)
        for l in range(self.L):
            V += sigma2[l] * bt["ind"][l]
        if spar is not None and self.struct is not None:
            tau2, rho = spar
            t = np.sqrt(np.asarray(tau2, float)[bt["inner"]])  # (nb, n)
            tt = t[:, :, None] * t[:, None, :]
            V += tt * (rho * (bt["same_outer"] - bt["same_inner"]) + bt["same_inner"])
        return V


@dataclass
class _Eval:
    ll: float
    beta: np.ndarray
    M: np.ndarray
    score: np.ndarray
    info: np.ndarray
    rVr: float = 0.0


_FAST = True  # the diagonal-plus-rank-one route where it applies (False: always the general blocks)


def _loglik(k: int, p: int, logdet: float, XtViX: np.ndarray, rVr: float, reml: bool) -> float:
    """The (restricted) log-likelihood from log det V, X'V^-1X and r'V^-1r."""
    if reml:
        return -0.5 * (k - p) * np.log(2 * np.pi) - 0.5 * logdet - 0.5 * np.linalg.slogdet(XtViX)[1] - 0.5 * rVr
    return -0.5 * k * np.log(2 * np.pi) - 0.5 * logdet - 0.5 * rVr


def _csum(cl: np.ndarray, A: np.ndarray, n: int) -> np.ndarray:
    """Sums of the rows of A (k,) or (k, p) within each cluster code of cl."""
    if A.ndim == 1:
        return np.bincount(cl, weights=A, minlength=n)
    return np.column_stack([np.bincount(cl, weights=A[:, j], minlength=n) for j in range(A.shape[1])])


def _evaluate_dr1(y, v, X, bs: BlockStructure, sigma2, reml: bool, need_info: bool = True) -> _Eval:
    """(Restricted) log-likelihood, fixed effects, scores and expected information of nested
    random intercepts in O(k p^2): per outer cluster j, V_j = D_j + s_b 11' with
    D_j = diag(v + s_w), so V_j^-1 = D_j^-1 - g_j a a' (a = 1/(v + s_w),
    g_j = s_b / (1 + s_b sum_j a), Sherman-Morrison) and log det V_j = sum log d + log(1 + s_b
    sum_j a) (the matrix determinant lemma); every trace is a sum over rows or clusters
    (np.bincount on the integer cluster codes).  Component 0: between clusters (A_0 = 11'
    per cluster); component 1 (two levels): within (A_1 = I)."""
    k, p = X.shape
    L = bs.L
    cl = bs.codes[0]
    n = bs.n_levels[0]
    s_b = float(sigma2[0])
    s_w = float(sigma2[1]) if L == 2 else 0.0
    d = v + s_w
    if np.any(d <= 0):
        raise ModelError("a block of the marginal covariance matrix is not positive definite")
    a = 1.0 / d
    S = np.bincount(cl, weights=a, minlength=n)
    one = 1.0 + s_b * S
    if np.any(one <= 0):
        raise ModelError("a block of the marginal covariance matrix is not positive definite")
    g = s_b / one
    gc = g[cl]
    logdet = float(np.sum(np.log(d)) + np.sum(np.log(one)))
    aX = a[:, None] * X
    aXs = _csum(cl, aX, n)  # sum_j a x
    Z = aX - (a * gc)[:, None] * aXs[cl]  # V^-1 X
    XtViX = X.T @ Z
    M = inv_pd(XtViX, "X'V^-1X")
    beta = M @ (Z.T @ y)
    r = y - X @ beta
    ar = a * r
    Vir = ar - a * gc * np.bincount(cl, weights=ar, minlength=n)[cl]
    rVr = float(r @ Vir)
    c = S / one  # 1' V_j^-1 1
    Zs = _csum(cl, Z, n)  # 1' V_j^-1 X_j
    a2s = np.bincount(cl, weights=a * a, minlength=n)
    tr_ViA = [float(np.sum(c))]
    rAr = [float(np.sum(np.bincount(cl, weights=Vir, minlength=n) ** 2))]
    T = [Zs.T @ Zs]
    if L == 2:
        tr_ViA.append(float(np.sum(a) - np.sum(g * a2s)))
        rAr.append(float(Vir @ Vir))
        T.append(Z.T @ Z)
    trPA = np.array([tr_ViA[l] - (np.sum(M * T[l]) if reml else 0.0) for l in range(L)])
    score = -0.5 * trPA + 0.5 * np.array(rAr)
    ll = _loglik(k, p, logdet, XtViX, rVr, reml)
    info = np.zeros((L, L))
    if need_info:
        F = np.zeros((L, L))
        F[0, 0] = np.sum(c**2)
        Q = {(0, 0): (Zs * c[:, None]).T @ Zs}
        if L == 2:
            a3s = np.bincount(cl, weights=a**3, minlength=n)
            F[1, 1] = np.sum(a * a) - 2 * np.sum(g * a3s) + np.sum(g**2 * a2s**2)
            F[0, 1] = np.sum((1 - g * S) ** 2 * a2s)
            aZ = a[:, None] * Z
            aZs = _csum(cl, aZ, n)
            Q[(1, 1)] = Z.T @ aZ - (aZs * g[:, None]).T @ aZs  # X' V^-3 X
            Q[(0, 1)] = (Zs * (1 - g * S)[:, None]).T @ aZs  # X' V^-1 A_0 V^-1 A_1 V^-1 X
        if reml:
            MT = [M @ T[l] for l in range(L)]
            for (l, m), q in Q.items():
                F[l, m] += -2 * float(np.sum(M * q)) + float(np.sum(MT[l] * MT[m].T))
        F = np.triu(F) + np.triu(F, 1).T
        info = 0.5 * F
    return _Eval(float(ll), beta, M, score, info, rVr)


def evaluate(y, v, X, bs: BlockStructure, sigma2, reml: bool, need_info: bool = True, spar=None) -> _Eval:
    """(Restricted) log-likelihood, fixed effects, scores and (with ``need_info``) the expected
    information at the variance components ``sigma2`` (and ``spar`` of struct terms); used by
    the fit and by the multilevel diagnostics (influence_mv, confint_mv).

    Parameters
    ----------
    y, v : ndarray
        Effect sizes and sampling variances (k).
    X : ndarray
        Design matrix (k x p).
    bs : BlockStructure
        The blocks of the marginal covariance.
    sigma2 : array_like
        One variance component per nesting level.
    reml : bool
        Restricted (REML) instead of full (ML) likelihood.
    need_info : bool
        Compute the expected information (the scores are always computed).
    spar : tuple, optional
        ``(tau2, rho)`` of a CS/HCS struct term.

    Returns
    -------
    _Eval
        ``ll``, ``beta``, ``M`` (the covariance of beta), ``score``, ``info`` and ``rVr`` (the
        weighted residual sum of squares).
    """
    if _FAST and spar is None and bs.diag_rank1:
        return _evaluate_dr1(y, v, X, bs, sigma2, reml, need_info)
    p = X.shape[1]
    L = bs.L
    XtViX = np.zeros((p, p))
    XtViy = np.zeros(p)
    logdet = 0.0
    cache = []
    for bt in bs.batches:
        rows = bt["rows"]
        V = bs.marginal(bt, v, sigma2, spar)
        try:
            C = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            raise ModelError("a block of the marginal covariance matrix is not positive definite") from None
        logdet += 2 * np.sum(np.log(np.einsum("bii->bi", C)))
        Vi = np.linalg.inv(V)
        Xb = X[rows]  # (nb, n, p)
        yb = y[rows]  # (nb, n)
        ViX = Vi @ Xb
        XtViX += np.einsum("bnp,bnq->pq", Xb, ViX)
        XtViy += np.einsum("bnp,bn->p", ViX, yb)
        cache.append((Vi, Xb, yb, ViX))
    M = inv_pd(XtViX, "X'V^-1X")
    beta = M @ XtViy
    rVr = 0.0
    score_a = np.zeros(L)  # tr(Vi A_l) or tr(P A_l)
    score_b = np.zeros(L)  # r'Vi A_l Vi r
    T = [np.zeros((p, p)) for _ in range(L)]  # X'Vi A_l Vi X
    blocks_ViA = []
    for (Vi, Xb, yb, ViX), bt in zip(cache, bs.batches):
        r = yb - Xb @ beta
        Vir = np.einsum("bij,bj->bi", Vi, r)
        rVr += float(np.sum(r * Vir))
        ViAs = []
        for l in range(L):
            A = bt["ind"][l]
            ViA = Vi @ A
            score_a[l] += float(np.einsum("bii->", ViA))
            AVir = np.einsum("bij,bj->bi", A, Vir)
            score_b[l] += float(np.sum(Vir * AVir))
            if reml or need_info:
                T[l] += np.einsum("bnp,bnm,bmq->pq", ViX, A, ViX)
            ViAs.append(ViA)
        blocks_ViA.append((ViAs, ViX))
    if reml:
        trPA = np.array([score_a[l] - np.sum(M * T[l]) for l in range(L)])
    else:
        trPA = score_a
    score = -0.5 * trPA + 0.5 * score_b
    k, p = X.shape
    ll = _loglik(k, p, logdet, XtViX, rVr, reml)
    info = np.zeros((L, L))
    if need_info:
        # expected information: 1/2 tr(P A_l P A_m), P = Vi - Vi X M X' Vi, blockwise
        F = np.zeros((L, L))
        for (ViAs, ViX), bt in zip(blocks_ViA, bs.batches):
            for l in range(L):
                for m in range(l, L):
                    F[l, m] += float(np.einsum("bij,bji->", ViAs[l], ViAs[m]))
                    if reml:
                        B = bt["ind"][l] @ ViAs[m]  # A_l Vi A_m
                        Q = np.einsum("bnp,bnm,bmq->pq", ViX, B, ViX)
                        F[l, m] -= 2 * float(np.sum(M * Q))
        if reml:
            for l in range(L):
                for m in range(l, L):
                    F[l, m] += float(np.sum((M @ T[l]) * (M @ T[m]).T))
        F = np.triu(F) + np.triu(F, 1).T
        info = 0.5 * F
    return _Eval(float(ll), beta, M, score, info, float(rVr))
