"""Multilevel (nested random-intercept) meta-analytic models: metafor's
``rma.mv(yi, vi, random = ~ 1 | a/b/...)``.

The marginal covariance is block diagonal by the outermost grouping.  Blocks of equal
size are stacked and handled with batched Cholesky factorisations, so a fit costs
O(sum n_j^3) — linear in k for bounded cluster sizes — and no k x k matrix is formed.
Variance components are estimated by (RE)ML with Fisher scoring on analytic scores
and expected information, with step halving and the boundary sigma^2 = 0 respected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from evsynth.errors import ConvergenceError, InputError, ModelError
from evsynth.engine.linalg import design_matrix, factorize, inv_pd, wls
from evsynth.engine.checks import check_effects, level_percent
from evsynth.engine.printing import fit_printout, text_table
from evsynth.engine.results import FitResult, Heterogeneity, coef_block, critical_value, wald_test

__all__ = ["BlockStructure", "RMAMVResult", "rma_mv"]


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
    the fit and by the multilevel diagnostics (influence_mv, confint_mv)."""
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


@dataclass(eq=False, kw_only=True)
class RMAMVResult(FitResult):
    """A fitted multilevel model (metafor's ``rma.mv``), with metafor's field names: the
    coefficient block (see :class:`~evsynth.engine.results.Coefs`), ``sigma2`` (one
    variance component per level, named ``s_names``, with ``s_nlevels`` levels),
    ``QE``/``QEp``, ``QM``/``QMp``/``QMdf``, ``ll``, ``pi_lb``/``pi_ub``."""

    multilevel = True

    sigma2: np.ndarray
    s_names: list[str]
    s_nlevels: list[int]
    iterations: int
    groups: list[np.ndarray]
    structure: BlockStructure = field(repr=False, default=None)
    struct_type: str | None = None
    struct_levels: list | None = None
    struct_tau2: np.ndarray | float | None = None
    struct_rho: float | None = None
    sigma2_fixed: np.ndarray | None = field(repr=False, default=None)
    refit_args: dict = field(repr=False, default_factory=dict)

    @property
    def n_vc(self) -> int:
        """Number of estimated variance components (sigma^2, plus tau^2 and rho of a struct)."""
        n = int(np.sum(~self._fixed_mask()))
        if self.struct_type == "CS":
            n += 2
        elif self.struct_type == "HCS":
            n += len(np.atleast_1d(self.struct_tau2)) + 1
        return n

    def _fixed_mask(self) -> np.ndarray:
        if self.sigma2_fixed is None:
            return np.zeros(len(self.sigma2), bool)
        return np.isfinite(self.sigma2_fixed)

    @property
    def spar(self):
        if self.struct_type is None:
            return None
        return (
            np.atleast_1d(self.struct_tau2)
            if self.struct_type == "HCS"
            else np.full(len(self.struct_levels), float(self.struct_tau2)),
            float(self.struct_rho),
        )

    def _pi_variance(self) -> float:
        return self.pi_variance

    @property
    def pi_variance(self) -> float:
        """Variance added for a prediction interval: the sum of the sigma^2 (and tau^2 of a CS struct)."""
        extra = float(self.struct_tau2) if self.struct_type == "CS" else 0.0
        return float(np.sum(self.sigma2)) + extra

    def refit(self, keep=None, *, sigma2_fixed=None, struct_fixed=None) -> "RMAMVResult":
        """The same model on the rows ``keep`` (boolean or index array; default all), optionally
        with variance components held at ``sigma2_fixed`` / struct parameters at ``struct_fixed``."""
        a = self.refit_args
        idx = (
            np.arange(self.k)
            if keep is None
            else np.flatnonzero(np.asarray(keep))
            if np.asarray(keep).dtype == bool
            else np.asarray(keep)
        )
        V = a.get("V")
        if V is not None:
            V = KnownV(V.vi[idx], V.cluster[idx], None if V.obs is None else V.obs[idx], V.rho)
        st = a.get("struct")
        if st is not None:
            st = {**st, "inner": np.asarray(st["inner"])[idx], "outer": np.asarray(st["outer"])[idx]}
        return rma_mv(
            self.yi[idx],
            self.vi[idx],
            [np.asarray(g)[idx] for g in a["groups"]],
            self.X[idx],
            intercept=False,
            method=a["method"],
            test=a["test"],
            level=a["level"],
            coef_names=a["coef_names"],
            group_names=a["group_names"],
            btt=a["btt"],
            V=V,
            struct=st,
            sigma2_fixed=sigma2_fixed,
            struct_fixed=struct_fixed,
        )

    def sampling_blocks(self, rows):
        """The known sampling covariance of stacked blocks of rows (None: diagonal vi)."""
        if self.structure is None or self.structure.knownV is None:
            return None
        return self.structure.knownV.blocks(rows)

    @property
    def tau2(self) -> float:
        """Total heterogeneity: the sum of the variance components."""
        return float(np.sum(self.sigma2))

    def marginal_blocks(self):
        """(rows, V) per block: the fitted marginal covariance, block by block."""
        for bt in self.structure.batches:
            yield bt["rows"], self.structure.marginal(bt, self.vi, self.sigma2, self.spar)

    def I2_multilevel(self) -> dict:
        """Multilevel I^2 per level (Cheung, 2014) with the typical sampling variance of
        Higgins & Thompson computed from the fixed-effects projection."""
        fe = wls(self.yi, self.X, 1 / self.vi)
        vt = (self.k - self.p) / fe.tr_P()
        total = float(np.sum(self.sigma2)) + vt
        out = {n: 100 * s / total for n, s in zip(self.s_names, self.sigma2)}
        out["total"] = 100 * float(np.sum(self.sigma2)) / total
        out["sampling"] = 100 * vt / total
        return out

    @property
    def het(self) -> Heterogeneity:
        """The heterogeneity block: the Q test of the model (the variance components are
        printed by ``summary()`` in their own table)."""
        return Heterogeneity(QE=self.QE, QEdf=self.k - self.p, QEp=self.QEp, residual=self.p > 1)

    def summary(self) -> str:
        fixed = self._fixed_mask()
        s2 = np.asarray(self.sigma2, float)
        vc = text_table(
            [
                ("estim", [f"{x:.4f}" for x in s2]),
                ("sqrt", [f"{np.sqrt(x):.4f}" for x in s2]),
                ("nlvls", [str(int(n)) for n in self.s_nlevels]),
                ("fixed", ["yes" if f else "no" for f in fixed]),
                ("factor", [str(n) for n in self.s_names]),
            ],
            [f"sigma^2.{i}" for i in range(1, s2.size + 1)],
        )
        head = [
            f"Multivariate Meta-Analysis Model (k = {self.k}; method: {self.method})",
            "",
            "Variance Components:",
            "",
            *vc,
        ]
        if self.struct_type is not None:
            t2 = ", ".join(f"{x:.4f}" for x in np.atleast_1d(self.struct_tau2))
            head.append(f"struct {self.struct_type}: tau^2 = {t2}; rho = {self.struct_rho:.4f}")
        return fit_printout(self, head)


def _fit_struct(y, v, X, bs, sdef, reml, t0, fixed, isfixed, sfixed=None):
    """(RE)ML for models with a CS/HCS struct: the (restricted) log-likelihood maximised
    over log variances and the Fisher z of rho (quasi-Newton, then a Nelder-Mead polish).
    ``sfixed``: struct parameters held fixed ({"tau2": values with NaN = estimated, "rho":
    value or NaN}), as metafor's ``tau2=`` and ``rho=``."""
    from scipy.optimize import minimize

    nt = 1 if sdef["type"] == "CS" else len(sdef["levels"])
    free_s = np.flatnonzero(~isfixed)
    t_fix = np.full(nt, np.nan) if sfixed is None else np.asarray(sfixed.get("tau2", np.full(nt, np.nan)), float)
    t_fix = np.broadcast_to(t_fix, (nt,)).copy()
    r_fix = np.nan if sfixed is None else float(sfixed.get("rho", np.nan))
    free_t = np.flatnonzero(~np.isfinite(t_fix))
    free_r = not np.isfinite(r_fix)

    def unpack(th):
        s2 = fixed.copy()
        s2[free_s] = np.exp(th[: free_s.size])
        s2 = np.where(np.isfinite(s2), s2, 0.0)
        t = t_fix.copy()
        t[free_t] = np.exp(th[free_s.size : free_s.size + free_t.size])
        tau2 = np.full(len(sdef["levels"]), t[0]) if nt == 1 else t
        rho = np.tanh(th[-1]) if free_r else r_fix
        return s2, (tau2, rho)

    def nll(th):
        s2, sp = unpack(th)
        try:
            return -evaluate(y, v, X, bs, s2, reml, need_info=False, spar=sp).ll
        except ModelError:
            return 1e300

    th0 = np.concatenate(
        [
            np.full(free_s.size, np.log(max(t0, 1e-4) / 2)),
            np.full(free_t.size, np.log(max(t0, 1e-4))),
            [0.5] if free_r else [],
        ]
    )
    if th0.size == 0:
        s2, sp = unpack(th0)
        return s2, sp, evaluate(y, v, X, bs, s2, reml, need_info=False, spar=sp), 0
    best = minimize(nll, th0, method="BFGS", options={"gtol": 1e-9, "maxiter": 2000})
    pol = minimize(
        nll, best.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000}
    )
    th = pol.x if pol.fun <= best.fun else best.x
    best2 = minimize(nll, th, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    if best2.fun < min(pol.fun, best.fun):
        th = best2.x
    s2, sp = unpack(th)
    ev = evaluate(y, v, X, bs, s2, reml, need_info=False, spar=sp)
    return s2, sp, ev, int(best.nit)


def fisher_scoring(
    y,
    v,
    X,
    bs: BlockStructure,
    s2,
    reml: bool,
    isfixed,
    *,
    method: str = "REML",
    tol: float = 1e-10,
    maxiter: int = 500,
):
    """(RE)ML estimates of the sigma^2 components by Fisher scoring from ``s2`` (components
    with ``isfixed`` held), with step halving and the boundary 0; returns (sigma2, the
    evaluation there, iterations).  Used by :func:`rma_mv` and, warm-started at the full
    fit, by the re-estimated deletions of :func:`evsynth.engine.casedeletion.influence_mv`."""
    L = bs.L
    s2 = np.asarray(s2, float)
    ev = evaluate(y, v, X, bs, s2, reml)
    it = 0
    for it in range(1, maxiter + 1):
        free = ~((s2 <= 0) & (ev.score <= 0)) & ~isfixed
        step = np.zeros(L)
        if free.any():
            Ii = ev.info[np.ix_(free, free)]
            try:
                step[free] = np.linalg.solve(Ii, ev.score[free])
            except np.linalg.LinAlgError:
                step[free] = ev.score[free] / np.maximum(np.diag(Ii), 1e-12)
        lam = 1.0
        accepted = False
        for _ in range(60):
            cand = np.maximum(s2 + lam * step, 0.0)
            ev_c = evaluate(y, v, X, bs, cand, reml)
            if ev_c.ll >= ev.ll - 1e-12 * abs(ev.ll):
                accepted = True
                break
            lam /= 2
        if not accepted:
            break
        change = np.max(np.abs(cand - s2) / np.maximum(1.0, np.abs(cand)))
        s2, ev = cand, ev_c
        if change <= tol:
            break
    else:
        raise ConvergenceError(
            f"{method} estimation of the variance components did not converge in "
            f"{maxiter} iterations (last sigma^2 = {np.round(s2, 6).tolist()})"
        )
    return s2, ev, it


def _group_list(groups):
    """The grouping variables as a list of 1-D arrays (outermost first) and their names when
    the input carries them: a list of arrays, one array or Series (one level), or a data
    frame (one column per level, names from its columns)."""
    if groups is None:
        return [], None
    if isinstance(groups, str):
        raise InputError(
            f"groups: give the grouping variables' values (arrays, or a data frame with one column "
            f"per level), not the name {groups!r}"
        )
    if hasattr(groups, "columns"):  # a DataFrame, without importing pandas
        return [np.asarray(groups[c]) for c in groups.columns], [str(c) for c in groups.columns]
    if hasattr(groups, "ndim") and getattr(groups, "ndim", 0) == 1:  # one array or Series: one level
        name = getattr(groups, "name", None)
        return [np.asarray(groups)], ([str(name)] if name is not None else None)
    try:
        items = list(groups)
    except TypeError:
        raise InputError(
            f"groups: a list of grouping arrays, one array or a data frame; got {type(groups).__name__}"
        ) from None
    if items and all(np.ndim(g) == 0 for g in items):  # a plain list of labels: one level
        return [np.asarray(items, dtype=object)], None
    names = [getattr(g, "name", None) for g in items]
    out = []
    for j, g in enumerate(items):
        a = np.asarray(g)
        if a.ndim != 1:
            raise InputError(
                f"groups: grouping variable {j + 1} must be one value per effect size (1-D); got shape {a.shape}"
            )
        out.append(a)
    return out, ([str(n) for n in names] if names and all(n is not None for n in names) else None)


def rma_mv(
    yi,
    vi,
    groups,
    mods=None,
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    coef_names=None,
    group_names=None,
    btt=None,
    tol: float = 1e-10,
    maxiter: int = 500,
    intercept: bool = True,
    V: KnownV | None = None,
    struct: dict | None = None,
    sigma2_fixed=None,
    struct_fixed: dict | None = None,
) -> RMAMVResult:
    """Multilevel and multivariate meta-analytic model (metafor's ``rma.mv``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    groups : list of array_like, array_like or DataFrame
        Nested grouping arrays, outermost first (metafor's ``random = ~ 1 | a/b``); one
        variance component ``sigma2`` per level.  One array (or Series) is one level; a data
        frame gives one level per column, named by the columns (as are named Series), so the
        components are ``a`` and ``a/b`` as metafor names them.  May be empty when ``struct``
        is given.
    mods : array_like, optional
        Moderators (k x m); an intercept is added unless ``intercept=False``.
    method : {"REML", "ML"}
    test : {"z", "t"}
        ``t``: t and F tests with k - p df.
    V : KnownV, optional
        A known sampling covariance from :func:`vcalc` (block diagonal by cluster), in
        place of ``diag(vi)`` (metafor's ``rma.mv(yi, V, ...)``).
    struct : dict, optional
        ``{"type": "CS" | "HCS", "inner": array, "outer": array, "levels": list}``: a
        random effect per level of ``inner`` within ``outer`` (metafor's
        ``random = ~ inner | outer, struct = type``); CS: one tau^2 and one rho; HCS: one
        tau^2 per level of ``inner`` (in ``levels`` order) and one rho.  Optional
        ``"names": (inner name, outer name)`` labels the term in ``ranef``.
    sigma2_fixed : array_like, optional
        Values at which to hold sigma^2 components (NaN: estimated), as metafor's ``sigma2=``.
    struct_fixed : dict, optional
        Struct parameters to hold: ``{"tau2": values (NaN: estimated), "rho": value}``, as
        metafor's ``tau2=`` and ``rho=``.

    Returns
    -------
    RMAMVResult
        The coefficient block, ``sigma2``, ``s_names``, ``s_nlevels``, ``QE``, ``QM``, ``ll``,
        ``pi_lb``/``pi_ub``; ``summary()``, ``to_frame()``, ``predict()``, ``anova()``.

    References
    ----------
    Konstantopoulos, S. (2011). Fixed effects and variance components estimation in
    three-level meta-analysis. Research Synthesis Methods, 2(1), 61-76.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    level = level_percent(level)
    method = str(method).upper()
    if method not in ("ML", "REML"):
        raise InputError(f"multilevel models are fitted by ML or REML, not '{method}'")
    test = str(test).lower()
    if test not in ("z", "t"):
        raise InputError(f"multilevel test must be 'z' or 't', got '{test}'")
    if V is not None:
        if not isinstance(V, KnownV):
            raise InputError("V must be built with vcalc() (a block-diagonal known covariance)")
        vi = V.vi
    y, v = check_effects(yi, vi)
    k = y.size
    if V is not None and V.k != k:
        raise InputError(f"V has {V.k} rows but there are {k} effect sizes")
    groups, found_names = _group_list(groups)
    if group_names is None and found_names is not None:
        group_names = found_names
    if not groups and struct is None:
        raise InputError("a multilevel model needs at least one grouping variable or a struct")
    sdef = None
    if struct is not None:
        stype = str(struct.get("type", "")).upper()
        if stype not in ("CS", "HCS"):
            raise InputError(f"struct type must be CS or HCS, got '{struct.get('type')}'")
        inner = np.asarray(struct["inner"])
        outer = np.asarray(struct["outer"])
        if inner.shape[0] != k or outer.shape[0] != k:
            raise InputError("struct: inner and outer need one value per effect size")
        inner_text = np.array([str(x) for x in inner], dtype=object)
        levels = struct.get("levels")
        if not levels:
            codes = factorize(inner_text, what="struct inner variable")
            levels = [inner_text[np.flatnonzero(codes == c)[0]] for c in range(int(codes.max()) + 1)]
        levels = [str(x) for x in levels]
        unknown = sorted(set(inner_text) - set(levels))
        if unknown:
            raise InputError(f"struct: inner value(s) {', '.join(unknown)} not among levels {', '.join(levels)}")
        sdef = {
            "type": stype,
            "levels": levels,
            "inner_codes": np.array([levels.index(x) for x in inner_text]),
            "outer_codes": factorize(outer, what="struct outer variable"),
        }
    for g in groups:
        if len(g) != k:
            raise InputError(f"groups: a grouping variable has {len(g)} values but there are {k} effect sizes")
    if group_names is not None and len(list(group_names)) != len(groups):
        raise InputError(f"group_names: {len(list(group_names))} name(s) for {len(groups)} grouping variable(s)")
    X, names = design_matrix(y, mods, intercept, coef_names)
    p = X.shape[1]
    if k < 2:
        raise ModelError(f"a multilevel model needs at least 2 effect sizes; k = {k}")
    if p > k - 1:
        raise ModelError(f"{p} model coefficients for k = {k} effect sizes: at most k - 1 can be estimated")
    bs = BlockStructure(groups, knownV=V, struct=sdef, k=k)
    L = bs.L
    reml = method == "REML"
    fixed = np.full(L, np.nan) if sigma2_fixed is None else np.asarray(sigma2_fixed, float).ravel()
    if fixed.size != L:
        raise InputError(f"sigma2_fixed has {fixed.size} values for {L} variance components")
    isfixed = np.isfinite(fixed)
    # start: a share of the DL estimate of total heterogeneity per component
    fe = wls(y, X, 1 / v)
    trP = fe.tr_P()
    t0 = max((fe.rss - (k - p)) / trP, 0.01 * float(np.mean(v)))
    spar = None
    if sdef is not None:
        s2, spar, ev, it = _fit_struct(y, v, X, bs, sdef, reml, t0, fixed, isfixed, struct_fixed)
    else:
        s2, ev, it = fisher_scoring(
            y, v, X, bs, np.where(isfixed, fixed, t0 / L), reml, isfixed, method=method, tol=tol, maxiter=maxiter
        )
    beta, vb = ev.beta, ev.M
    if btt is None:
        btt = list(range(1, p)) if (p > 1 and intercept) else list(range(p))
    dist, df = ("t", k - p) if test == "t" else ("z", None)
    coefs = coef_block(names, beta, vb, dist=dist, df=df, level=level)
    wald = wald_test(beta, vb, btt, dist=dist, df=df)
    if V is not None:
        QE = max(0.0, evaluate(y, v, X, bs, np.zeros(L), False, need_info=False).rVr)
    else:
        QE = max(0.0, fe.rss)
    QEp = float(stats.chi2.sf(QE, k - p)) if k > p else 1.0
    gnames = list(group_names) if group_names is not None else [f"level{l + 1}" for l in range(L)]
    s_names = ["/".join(gnames[: l + 1]) for l in range(L)]
    res = RMAMVResult(
        coefs=coefs,
        wald=wald,
        k=k,
        method=method,
        test=test,
        QE=QE,
        QEp=QEp,
        btt=list(btt),
        yi=y,
        vi=v,
        X=X,
        ll=ev.ll,
        sigma2=s2,
        s_names=s_names,
        s_nlevels=bs.n_levels,
        iterations=it,
        groups=groups,
        structure=bs,
        sigma2_fixed=fixed if isfixed.any() else None,
    )
    res.refit_args = {
        "groups": groups,
        "V": V,
        "struct": struct,
        "method": method,
        "test": test,
        "level": level,
        "coef_names": names,
        "group_names": group_names,
        "btt": btt,
    }
    if sdef is not None:
        res.struct_type, res.struct_levels = sdef["type"], sdef["levels"]
        res.struct_tau2 = float(spar[0][0]) if sdef["type"] == "CS" else np.asarray(spar[0], float)
        res.struct_rho = float(spar[1])
    if res.intercept_only:
        pr = res.predict()
        crit = critical_value(res.level, res.dist, res.df)
        s = np.sqrt(pr.se[0] ** 2 + res.pi_variance)
        res.pi_lb, res.pi_ub = float(pr.pred[0] - crit * s), float(pr.pred[0] + crit * s)
    return res
