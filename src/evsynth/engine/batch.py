"""Many intercept-only meta-analyses at once (``rma_batch``).

Effect sizes and sampling variances come as arrays of shape (n_analyses, k); a boolean
``mask`` of the same shape marks the effect sizes that belong to each analysis, so the
analyses may have different k.  Every estimator runs over the whole batch at once: the
weighted sums of each analysis are row reductions, Fisher scoring (ML, REML, EB) iterates
every analysis with its own convergence test, and root searches (PM, the Q-profile CI) are a
row-wise Brent search.  Each analysis follows exactly the steps that
:func:`evsynth.engine.rma_uni.rma` takes for it (the same starting value, step halving,
stopping rule, boundary check and safeguards), so the results equal ``rma``'s for that
analysis up to floating-point rounding of the sums.

Masked entries are given weight zero: their ``y`` is set to 0 and their ``v`` to +inf, so
``1 / (v + tau2)`` is 0 there and every sum runs over the analysis' own effect sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from scipy import special

from evsynth.engine.checks import VI_MAX, level_percent
from evsynth.engine.results import Coefs, HasCoefs, Heterogeneity, Result
from evsynth.engine.rowwise import block_rows, brent_rows, q_rows, qprofile_rows, QRoots, rowdot, rowsum, weights_rows
from evsynth.errors import InputError, ModelError

__all__ = ["BATCH_METHODS", "RMABatchResult", "rma_batch"]

BATCH_METHODS = ("EE", "FE", "DL", "HE", "PM", "ML", "REML", "EB")
_LOG2PI = np.log(2 * np.pi)


# --------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------


def _prepare(yi, vi, mask):
    if (
        mask is None
        and isinstance(yi, np.ndarray)
        and isinstance(vi, np.ndarray)
        and yi.ndim == 2
        and yi.shape == vi.shape
    ):
        # the common case, every cell used: one pass per check, no copies when all is well
        y, v = np.ascontiguousarray(yi, dtype=float), np.ascontiguousarray(vi, dtype=float)
        if np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all() and v.max() <= VI_MAX:
            return y, v, np.ones(y.shape, dtype=bool)
    y = _rows_array(yi, "yi")
    v = _rows_array(vi, "vi")
    if y.ndim == 1:
        y, v = y[None, :], (v[None, :] if v.ndim == 1 else v)
    if y.ndim != 2 or v.shape != y.shape:
        raise InputError(
            f"yi and vi must be arrays of the same shape (n_analyses, k); got {np.shape(yi)} and {np.shape(vi)}"
        )
    if mask is None:
        m = np.ones(y.shape, dtype=bool)
    else:
        m = np.asarray(mask)
        if m.ndim == 1 and y.shape[0] == 1:
            m = m[None, :]
        if m.shape != y.shape:
            raise InputError(f"mask has shape {np.shape(mask)} but yi has {y.shape}")
        if m.dtype != bool:
            if not np.all((m == 0) | (m == 1)):
                raise InputError("mask must be boolean (True marks an effect size that belongs to the analysis)")
            m = m.astype(bool)
    for name, arr in (("yi: effect size", y), ("vi: sampling variance", v)):
        bad = m & ~np.isfinite(arr)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise InputError(
                f"{name} is missing or not finite in analysis (row) {r + 1}, column {c + 1} "
                f"({int(bad.sum())} such value(s)); mask it out or fix it"
            )
    bad = m & (v <= 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            f"vi: sampling variance must be > 0; found {v[r, c]:g} in analysis (row) {r + 1}, "
            f"column {c + 1} ({int(bad.sum())} such value(s))"
        )
    bad = m & (v > VI_MAX)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            f"vi: sampling variance {v[r, c]:g} in analysis (row) {r + 1}, column {c + 1} is above "
            f"{VI_MAX:g}: its weight 1/vi underflows; check the variance's units"
        )
    y[~m] = 0.0
    v[~m] = np.inf
    return y, v, m


def _rows_array(x, name: str) -> np.ndarray:
    """Rows of analyses as a float array (a copy), or an InputError naming the argument:
    rows of different lengths (pad with NaN and mask them out) or text."""
    try:
        return np.array(x, dtype=float, copy=True)
    except (TypeError, ValueError):
        pass
    try:
        lens = [len(r) for r in x]
    except TypeError:
        lens = None
    if lens and len(set(lens)) > 1:
        j = next(i for i, n in enumerate(lens) if n != lens[0])
        raise InputError(
            f"{name}: rows of different lengths (row 1 has {lens[0]} values, row {j + 1} has {lens[j]}); "
            "give a rectangular array, padding with NaN, and mark the effect sizes of each "
            "analysis with mask="
        ) from None
    raise InputError(f"{name}: must be numeric, an array of shape (n_analyses, k)") from None


# --------------------------------------------------------------------------------------
# weighted sums (intercept-only models)
# --------------------------------------------------------------------------------------


def _loglik(y, v, m, k, tau2, method, y2=None):
    w = weights_rows(v, tau2)
    sw, swy, swy2 = rowsum(w), rowdot(w, y), rowdot(w, y * y if y2 is None else y2)
    # w is not used after this: its logarithm in place (masked cells keep their weight 0)
    logw = np.log(w, out=w) if m is None or m.all() else np.log(w, out=w, where=m)
    ll = 0.5 * rowsum(logw) - 0.5 * np.maximum(swy2 - swy * swy / sw, 0.0)
    if method == "REML":
        return ll - 0.5 * (k - 1) * _LOG2PI - 0.5 * np.log(sw)
    return ll - 0.5 * k * _LOG2PI


def _wls_rss(y, a):
    """Residual sum of squares of the weighted mean, residual form (as ``linalg.wls``)."""
    sa = rowsum(a)
    b = rowdot(a, y) / sa
    r = y - b[:, None]
    return rowdot(a, r * r), sa, b


def _trPDPE(a, sa=None):
    """tr(P P) for P = A - a a'/sum(a) (``WLS.tr_PDPE()`` of an intercept-only fit)."""
    sa = rowsum(a) if sa is None else sa
    a2 = a * a
    mm = 1.0 / sa
    s2 = rowsum(a2)
    return s2 - 2 * mm * rowdot(a, a2) + mm * mm * s2 * s2


def _halve_to_nonneg(t, a):
    """``a`` halved until t + a >= 0 (t > 0 > t + a), as the loop ``while t + a < 0: a /= 2``:
    the number of halvings from log2(-a / t), corrected exactly (halving is exact in binary
    floating point, and t + a < 0 exactly when its rounded sum is)."""
    j = np.maximum(np.ceil(np.log2(-a / t)), 1.0).astype(int)
    low = (j > 1) & (t + np.ldexp(a, -(j - 1)) >= 0)
    j[low] -= 1
    while True:
        more = t + np.ldexp(a, -j) < 0
        if not more.any():
            break
        j[more] += 1
    out = np.ldexp(a, -j)
    for i in np.flatnonzero(t < 1e-280):  # near the subnormals halving may round: the plain loop
        b = a[i]
        while t[i] + b < 0:
            b /= 2
        out[i] = b
    return out


class _FisherState:
    """Fisher scoring for ML, REML and EB, row by row as ``models.estimate_tau2``; the state
    of every row (tau^2, previous step, cached log-likelihood, iterations, convergence) lives
    in arrays over all rows, so that any set of rows can be advanced together."""

    def __init__(self, tau2, method, threshold, maxiter, full_mask):
        n = tau2.size
        self.tau2, self.method, self.threshold, self.maxiter = tau2, method, threshold, maxiter
        self.full_mask = full_mask
        self.prev_adj = np.zeros(n)
        self.ll_cache = np.full(n, np.nan)  # log-likelihood at the current tau^2 where known
        self.converged = np.zeros(n, dtype=bool)
        self.iters = np.zeros(n, dtype=int)

    def run(self, Y, V, M, K, Y2, wrows, stop_below=0):
        """Iterate the rows ``wrows`` (data in ``Y``, ``V``, ... row by row) until at most
        ``stop_below`` of them are still iterating; return those rows.  Converged rows leave
        the working arrays when a quarter of them have converged (fewer copies)."""
        method, threshold, maxiter = self.method, self.threshold, self.maxiter
        tau2, prev_adj, ll_cache, iters = self.tau2, self.prev_adj, self.ll_cache, self.iters
        full = self.full_mask
        live = np.ones(wrows.size, dtype=bool)
        nlive = wrows.size
        wbuf, w2buf = np.empty_like(V), np.empty_like(V)
        while nlive > stop_below:
            if nlive < 0.75 * live.size:
                wrows, Y, V, K, Y2 = wrows[live], Y[live], V[live], K[live], Y2[live]
                M = M if full else M[live]
                live = np.ones(wrows.size, dtype=bool)
                wbuf, w2buf = np.empty_like(V), np.empty_like(V)
            t = tau2[wrows]
            w = np.add(V, t[:, None], out=wbuf)
            np.reciprocal(w, out=w)
            sw = rowsum(w)
            with np.errstate(all="ignore"):
                if method == "EB":
                    rss, _, _ = _wls_rss(Y, w)
                    adj = (rss * K / (K - 1) - K) / sw
                else:
                    swy = rowdot(w, Y)
                    b = swy / sw
                    w2 = np.square(w, out=w2buf)
                    sw2, sw2y, sw2y2 = rowsum(w2), rowdot(w2, Y), rowdot(w2, Y2)
                    ypp = sw2y2 - 2 * b * sw2y + b * b * sw2
                    if method == "ML":
                        adj = (ypp - sw) / sw2
                    else:
                        sw3 = rowdot(w2, w)
                        q = sw2 / sw
                        trP = sw - q
                        trPP = sw2 - 2 * sw3 / sw + q * q
                        adj = (ypp - trP) / trPP
            if nlive == live.size:
                li = None
                rows = wrows
            else:
                li = np.flatnonzero(live)
                rows = wrows[li]
                adj, t = adj[li], t[li]
            adj[~np.isfinite(adj)] = 0.0
            new = t + adj
            neg = np.flatnonzero(new < 0)
            if neg.size:
                # rma halves the step until tau^2 + step >= 0; from tau^2 = 0 that ends when
                # the negative step underflows to -0.0, which is set directly (same value)
                at0 = t[neg] == 0
                adj[neg[at0]] = -0.0
                neg = neg[~at0]
                if neg.size:
                    adj[neg] = _halve_to_nonneg(t[neg], adj[neg])
            if method != "EB":
                flip = np.flatnonzero(adj != 0)  # every step: accepted only if the likelihood does not drop (as rma)
                llc = ll_cache[rows]
                ll_cache[rows] = np.nan
                if flip.size:
                    fw = flip if li is None else li[flip]
                    self._halve(Y, V, M, K, Y2, w, fw, flip, rows, t, adj, llc[flip], sw, swy, full)
            prev_adj[rows] = adj
            new = t + adj
            change = np.abs(new - t)
            tau2[rows] = new
            it = iters[rows] + 1
            iters[rows] = it
            conv = change < threshold
            self.converged[rows[conv]] = True
            out = conv | (it >= maxiter)
            if out.any():
                live[out.nonzero()[0] if li is None else li[out]] = False
                nlive = int(np.count_nonzero(live))
        return wrows[live]

    def _halve(self, Y, V, M, K, Y2, w, fw, flip, rows, t, adj, ll0, sw, swy, full):
        """Halve the steps until the likelihood does not drop (as rma).
        ``fw``: the flipped rows' positions in the working arrays, ``flip`` in ``rows``."""
        method = self.method

        def ll_at(sel, tt):
            r = fw[sel]
            return _loglik(Y[r], V[r], None if full else M[r], K[r], tt, method, Y2[r])

        miss = np.flatnonzero(np.isnan(ll0))
        if miss.size:
            # the log-likelihood at the current tau^2 from this step's sums (the weights are
            # still in their buffer): only sum w y^2 and the sum of log w are new
            wi = fw[miss]
            wsub = w[wi]
            swy2 = rowdot(wsub, Y2[wi])
            lw = rowsum(np.log(wsub, out=wsub) if full else np.log(wsub, out=np.zeros_like(wsub), where=M[wi]))
            swi, swyi = sw[wi], swy[wi]
            ll = 0.5 * lw - 0.5 * np.maximum(swy2 - swyi * swyi / swi, 0.0)
            ll0[miss] = (
                ll - 0.5 * (K[wi] - 1) * _LOG2PI - 0.5 * np.log(swi) if method == "REML" else ll - 0.5 * K[wi] * _LOG2PI
            )
        pend = np.arange(flip.size)
        for _h in range(50):
            fa = adj[flip[pend]]
            ll1 = ll_at(pend, t[flip[pend]] + fa)
            ok = ll1 >= ll0[pend] - 1e-12 * np.abs(ll0[pend])
            # the log-likelihood at the accepted tau^2 + step: the next check's start
            self.ll_cache[rows[flip[pend[ok]]]] = ll1[ok]
            pend = pend[~ok]
            if pend.size == 0:
                break
            adj[flip[pend]] /= 2


# --------------------------------------------------------------------------------------
# tau^2
# --------------------------------------------------------------------------------------


def _tau2(y, v, m, k, method, con, y2, zero):
    """tau^2, its standard error, the number of iterations, and (ML, REML, EB) the weights at
    the estimate and their row sums, for every row.  ``y2`` = y^2 and ``zero`` = (1/v and the
    equal-effects sums sum w, sum w y, sum w y^2) are shared with the caller."""
    n = y.shape[0]
    iters = np.zeros(n, dtype=int)
    if method in ("EE", "FE"):
        return np.zeros(n), np.full(n, np.nan), iters, None, None
    df = k - 1.0
    if method in ("DL", "PM"):
        a0 = zero[0]  # 1 / v
        rss0, sa0, _ = _wls_rss(y, a0)
    if method == "DL":
        trP = sa0 - rowdot(a0, a0) / sa0
        tau2 = np.maximum(0.0, (rss0 - df) / trP)
        se = np.sqrt((2 * df + 4 * tau2 * trP + 2 * tau2**2 * _trPDPE(a0)) / trP**2)
        return tau2, se, iters, None, None
    if m.all():
        r = y - (rowsum(y) / k)[:, None]
        vm = v
    else:
        mf = m.astype(float)
        r = (y - (rowdot(mf, y) / k)[:, None]) * mf
        vm = np.where(m, v, 0.0)
    ols_rss = rowdot(r, r)
    svm = rowsum(vm)
    trPV = svm - svm / k
    tau2_he = (ols_rss - trPV) / df
    if method == "HE":
        tau2 = np.maximum(0.0, tau2_he)
        sv2 = rowdot(vm, vm)
        trPDPE = sv2 - 2 / k * sv2 + (1 / k) ** 2 * svm * svm
        se = np.sqrt((2 * trPDPE + 4 * tau2 * trPV + 2 * tau2**2 * df) / df**2)
        return tau2, se, iters, None, None
    if method == "PM":
        tau2 = np.zeros(n)
        todo = np.flatnonzero(~(rss0 < df))
        if todo.size:
            hi = np.full(todo.size, float(con["tau2_max"]))
            yy, vv, tt = y[todo], v[todo], df[todo]
            up = q_rows(yy, vv, hi) > tt
            while up.any():
                hi[up] *= 10
                if np.any(hi > 1e12):
                    bad = todo[np.flatnonzero(hi > 1e12)[0]]
                    raise ModelError(f"PM: no tau^2 below 1e12 solves Q(tau^2) = k - 1 in analysis (row) {bad + 1}")
                up[up] = q_rows(yy[up], vv[up], hi[up]) > tt[up]
            root = brent_rows(QRoots(yy, vv, tt), np.zeros(todo.size), hi, float(con["tol"]), int(con["maxiter"]))
            tau2[todo] = root
        w = weights_rows(v, tau2)
        se = np.sqrt(2 * k**2 / df / rowsum(w) ** 2)
        return np.maximum(tau2, 0.0), se, iters, None, None

    # ML, REML, EB: Fisher scoring from the HE estimate, as models.estimate_tau2, over row
    # blocks that stay in cache; the few rows still iterating when a block is nearly done
    # are gathered from all blocks and finish together (every row takes its own steps, so
    # the grouping does not change any row's path)
    threshold, maxiter = float(con["threshold"]), int(con["maxiter"])
    st = _FisherState(np.maximum(0.0, tau2_he), method, threshold, maxiter, bool(m.all()))
    size = block_rows(y.shape[1])
    late = []
    for r0 in range(0, n, size):
        r1 = min(n, r0 + size)
        late.append(
            st.run(
                y[r0:r1], v[r0:r1], m[r0:r1], k[r0:r1], y2[r0:r1], np.arange(r0, r1), stop_below=max(8, (r1 - r0) // 16)
            )
        )
    late = np.concatenate(late)
    if late.size:
        st.run(y[late], v[late], m[late], k[late], y2[late], late, stop_below=0)
    tau2, iters, converged, ll_cache = st.tau2, st.iters, st.converged, st.ll_cache
    rows = np.flatnonzero(~converged)
    if rows.size:
        # rows that did not converge in maxiter steps (the same steps rma took): rma's
        # safeguards, (RE)ML -> the root of the score, EB -> the Paule-Mandel root
        from evsynth.engine.estimators import score_root, estimate_tau2

        for r in rows:
            root = None
            if con["fallback"]:
                sel = m[r]
                yr, vr, X1 = y[r, sel], v[r, sel], np.ones((int(k[r]), 1))
                root = (
                    score_root(yr, vr, X1, method)
                    if method != "EB"
                    else estimate_tau2(yr, vr, X1, "PM", control={**con, "tol": 1e-13, "maxiter": 1000}).tau2
                )
            if root is None:
                tau2[r] = np.nan
            else:
                tau2[r], converged[r], ll_cache[r] = root, True, np.nan
    # the sums at the estimate, block by block: for the boundary check, se(tau^2) and the fit
    t = np.nan_to_num(tau2)
    sw, swy, swy2, sw2, sw3, dlog = _sums_at(y, v, m, t, logs=method != "EB")
    w0, sw0, swy0, swy20 = zero
    if method != "EB":
        chk = np.flatnonzero(converged & (tau2 > threshold))
        if chk.size:
            # metafor's check: the boundary tau^2 = 0 has the larger likelihood; l0 - l1 from
            # the equal-effects sums (shared with QE) and the sums at the estimate;
            # sum log w0 - sum log w1 = -sum log(w1 v)
            q1 = np.maximum(swy2[chk] - swy[chk] ** 2 / sw[chk], 0.0)
            q0 = np.maximum(swy20[chk] - swy0[chk] ** 2 / sw0[chk], 0.0)
            d = 0.5 * dlog[chk] - 0.5 * (q0 - q1)
            if method == "REML":
                d = d - 0.5 * (np.log(sw0[chk]) - np.log(sw[chk]))
            reset = chk[d > con["tol"]]
            if reset.size:
                a0 = w0[reset]
                tau2[reset] = 0.0
                sw[reset], swy[reset] = sw0[reset], swy0[reset]
                sw2[reset], sw3[reset] = rowdot(a0, a0), rowdot(a0 * a0, a0)
    tau2 = np.where(np.isnan(tau2), np.nan, np.maximum(0.0, tau2))
    if method == "ML":
        se = np.sqrt(2 / sw2)
    elif method == "REML":
        mm = 1.0 / sw
        se = np.sqrt(2 / (sw2 - 2 * mm * sw3 + mm * mm * sw2 * sw2))
    else:
        se = np.sqrt(2 * k**2 / df / sw**2)
    se = np.where(np.isnan(tau2), np.nan, se)
    return tau2, se, iters, None, (sw, swy)


def _weight_blocks(v, t):
    """Row blocks sized for the cache: (rows, w = 1/(v + t) of those rows, a spare buffer)."""
    n, kc = v.shape
    size = block_rows(kc)
    buf, buf2 = np.empty((min(n, size), kc)), np.empty((min(n, size), kc))
    for r0 in range(0, n, size):
        r1 = min(n, r0 + size)
        w = np.add(v[r0:r1], t[r0:r1, None], out=buf[: r1 - r0])
        yield slice(r0, r1), np.reciprocal(w, out=w), buf2[: r1 - r0]


def _rss_at(y, v, t, beta):
    """sum w (y - beta)^2 per row with w = 1/(v + t) (residual form, as rma), in row blocks."""
    out = np.empty(y.shape[0])
    for sl, w, spare in _weight_blocks(v, t):
        r = np.subtract(y[sl], beta[sl, None], out=spare)
        out[sl] = rowdot(w, np.square(r, out=r))
    return out


def _sums_at(y, v, m, t, logs=False):
    """Per row, with w = 1/(v + t): sum w, sum w y, sum w y^2, sum w^2, sum w^3 and (``logs``)
    -sum log(w v), in row blocks that stay in cache."""
    out = np.empty((6, y.shape[0]))
    full = bool(m.all())
    for sl, w, spare in _weight_blocks(v, t):
        ys = y[sl]
        out[0, sl], out[1, sl] = rowsum(w), rowdot(w, ys)
        u = np.square(ys, out=spare)
        out[2, sl] = rowdot(w, u)
        u = np.square(w, out=u)
        out[3, sl], out[4, sl] = rowsum(u), rowdot(u, w)
        if logs:
            with np.errstate(invalid="ignore"):  # masked cells: 0 * inf, set to 1 below
                u = np.multiply(w, v[sl], out=u)
            if not full:
                u[~m[sl]] = 1.0
            out[5, sl] = -rowsum(np.log(u, out=u))
    return out


# --------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class RMABatchResult(HasCoefs, Result):
    """Fits of many intercept-only models: one entry per analysis in every array field,
    with the names of :class:`evsynth.engine.rma_uni.RMAResult` (``beta`` is the pooled
    estimate; ``beta``, ``se``, ``stat``, ``pval``, ``ci_lb``, ``ci_ub`` are read from the
    coefficient block ``coefs``, whose entries are the analyses).  Analyses whose Knapp-Hartung adjustment is undefined (all effects equal) or
    whose estimator did not converge have NaN in the affected fields and a ``status``."""

    method: str
    test: str
    level: float
    k: np.ndarray
    coefs: Coefs
    tau2: np.ndarray
    se_tau2: np.ndarray
    QE: np.ndarray
    QEp: np.ndarray
    QM: np.ndarray
    QMp: np.ndarray
    I2: np.ndarray
    H2: np.ndarray
    vt: np.ndarray
    s2w: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray
    iterations: np.ndarray
    status: np.ndarray
    tau2_ci_lb: np.ndarray | None = None
    tau2_ci_ub: np.ndarray | None = None
    I2_ci_lb: np.ndarray | None = None
    I2_ci_ub: np.ndarray | None = None
    H2_ci_lb: np.ndarray | None = None
    H2_ci_ub: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def het(self) -> Heterogeneity:
        """The heterogeneity block, one entry per analysis in each field (as ``coefs``)."""
        ee = self.method in ("EE", "FE")
        return Heterogeneity(
            QE=self.QE,
            QEdf=self.k - 1,
            QEp=self.QEp,
            I2=self.I2,
            H2=self.H2,
            tau2=None if ee else self.tau2,
            se_tau2=None if ee else self.se_tau2,
        )

    _SCALARS = ("method", "test", "level", "extra", "coefs")
    _COEF_COLUMNS = ("beta", "se", "stat", "pval", "ci_lb", "ci_ub")

    @property
    def n(self) -> int:
        return int(self.beta.size)

    @property
    def df(self) -> np.ndarray:
        """Degrees of freedom of the t tests (NaN for z tests), one per analysis."""
        return np.full(self.n, np.nan) if self.coefs.df is None else self.coefs.df

    def __len__(self) -> int:
        return self.n

    def columns(self) -> list[str]:
        names = [f.name for f in fields(self) if f.name not in self._SCALARS and getattr(self, f.name) is not None]
        at = names.index("k") + 1
        names[at:at] = self._COEF_COLUMNS
        names.insert(names.index("pi_lb"), "df")
        return names

    def to_frame(self):
        """One row per analysis (pandas is imported only here)."""
        import pandas as pd

        return pd.DataFrame({c: getattr(self, c) for c in self.columns()})

    def summary(self) -> str:
        ok = self.status == "ok"
        lines = [
            f"{self.n} intercept-only models (tau^2 estimator: {self.method}; test: {self.test}; "
            f"level: {self.level:g}%)",
            f"analyses fitted: {int(ok.sum())} of {self.n}"
            + ("" if ok.all() else f"; not fitted: {', '.join(sorted(set(self.status[~ok].tolist())))}"),
        ]
        if ok.any():

            def q(x):
                x = x[ok]
                return "  ".join(f"{v:9.4f}" for v in np.percentile(x, [0, 25, 50, 75, 100]))

            lines += [
                "",
                f"{'':10s} {'min':>9s}  {'25%':>9s}  {'median':>9s}  {'75%':>9s}  {'max':>9s}",
                f"{'k':10s} {q(self.k.astype(float))}",
                f"{'estimate':10s} {q(self.beta)}",
                f"{'se':10s} {q(self.se)}",
                f"{'tau^2':10s} {q(self.tau2)}",
                f"{'I^2 (%)':10s} {q(self.I2)}",
                "",
                f"CI excludes 0 in {int(np.sum(ok & ((self.ci_lb > 0) | (self.ci_ub < 0))))} of "
                f"{int(ok.sum())} analyses",
            ]
        return "\n".join(lines)


def rma_batch(
    yi,
    vi,
    mask=None,
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    confint: bool = False,
    confint_tol: float | str | None = None,
    control: dict | None = None,
) -> RMABatchResult:
    """Fit one intercept-only meta-analysis per row of ``yi``/``vi``, all at once.

    Each analysis takes exactly the steps :func:`evsynth.rma` takes for it (starting value,
    step halving, stopping rule, safeguards), so the results equal ``rma``'s per analysis up to
    the rounding of the sums (tested to 1e-10).

    Parameters
    ----------
    yi, vi : array_like, shape (n_analyses, k) or (k,)
        Effect sizes and sampling variances, one analysis per row.
    mask : array_like of bool, same shape, optional
        True for the effect sizes that belong to each analysis (the other cells are ignored,
        so analyses may have different k); default: every cell.
    method : str
        tau^2 estimator: EE (FE), DL, HE, PM, ML, REML (default) or EB.
    test : {"z", "knha"}
        Normal tests, or Knapp & Hartung's t tests (``"hksj"`` is accepted as a synonym).
    level : float
        Confidence level: 95 or 0.95 both mean 95 % (as metafor).
    confint : bool
        Add the Q-profile CI for tau^2, I^2 and H^2 (as :func:`evsynth.confint_tau2`).
    confint_tol : float or "metafor", optional
        As ``tol`` of :func:`evsynth.confint_tau2`: None (default) finds the bounds to full
        precision by Newton steps; a number (or ``"metafor"``: metafor's default) runs R's
        ``uniroot`` search with that absolute tolerance.
    control : dict, optional
        Iteration settings, as for :func:`evsynth.rma`.

    Returns
    -------
    RMABatchResult
        One value per analysis in every field (``k``, ``beta``, ``se``, ``stat``, ``pval``,
        ``ci_lb``, ``ci_ub``, ``tau2``, ``se_tau2``, ``QE``, ``QEp``, ``QM``, ``QMp``, ``I2``,
        ``H2``, ``pi_lb``, ``pi_ub``, ``iterations``, ``status``; with ``confint`` also
        ``tau2_ci_lb`` ... ``H2_ci_ub``); ``summary()`` and ``to_frame()``.

    References
    ----------
    Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. Journal of Educational and Behavioral Statistics, 30(3), 261-293.
    Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in
    meta-analysis. Statistics in Medicine, 26(1), 37-52.
    """
    level = level_percent(level)
    from evsynth.engine.checks import check_test_level
    from evsynth.engine.estimators import iteration_control
    from evsynth.engine.qprofile import qprofile_tolerance

    method = str(method).upper()
    if method not in BATCH_METHODS:
        raise InputError(f"unknown tau^2 estimator '{method}' for rma_batch; allowed: {', '.join(BATCH_METHODS)}")
    test = check_test_level(test, ("z", "knha"), "z, knha", level)
    con = iteration_control(control)
    y, v, m = _prepare(yi, vi, mask)
    k = m.sum(axis=1).astype(float)  # (bool: not rowsum)
    n = y.shape[0]
    ee = method in ("EE", "FE")
    few = k < (1 if ee else 2)
    if few.any():
        r = int(np.flatnonzero(few)[0])
        need = "at least 1 effect size" if ee else "at least 2 effect sizes (a random-effects model)"
        raise ModelError(f"analysis (row) {r + 1} has k = {int(k[r])}; {need} needed")
    if test == "knha" and np.any(k < 2):
        r = int(np.flatnonzero(k < 2)[0])
        raise ModelError(f"the Knapp-Hartung test needs k >= 2; analysis (row) {r + 1} has k = {int(k[r])}")

    status = np.full(n, "ok", dtype=object)
    # shared by the estimators and the heterogeneity statistics: y^2 and the equal-effects sums
    y2 = y * y
    w0 = 1.0 / v
    sw0, swy0, swy20 = rowsum(w0), rowdot(w0, y), rowdot(w0, y2)
    tau2, se_tau2, iters, w, sw = _tau2(y, v, m, k, method, con, y2, (w0, sw0, swy0, swy20))
    status[np.isnan(tau2)] = "not converged"
    t2 = np.nan_to_num(tau2)
    if w is None and ee:  # tau^2 = 0: the equal-effects weights
        w, sw, beta = w0, sw0, swy0 / sw0
    elif sw is not None:  # the Fisher estimators: (sum w, sum w y) at the estimate
        sw, beta = sw[0], sw[1] / sw[0]
    else:
        w = weights_rows(v, t2)
        sw = rowsum(w)
        beta = rowdot(w, y) / sw
    if test == "knha":  # residual form, as rma
        rss = _rss_at(y, v, t2, beta)
    vb = 1.0 / sw
    df = k - 1.0
    a = 1 - level / 100
    with np.errstate(all="ignore"):
        if test == "knha":
            s2w = np.where(rss > np.finfo(float).eps, rss / df, 0.0)
            exact = s2w == 0.0
            status[exact & (status == "ok")] = "knha undefined (exact fit)"
            vb = np.where(exact, np.nan, s2w * vb)
            se = np.sqrt(vb)
            stat = beta / se
            QM = beta * beta / vb
            QMp = special.fdtrc(1.0, df, QM)
            pval = 2 * special.stdtr(df, -np.abs(stat))
            crit = -special.stdtrit(df, a / 2)
            dfo = df
        else:
            s2w = np.ones(n)
            se = np.sqrt(vb)
            stat = beta / se
            QM = beta * beta / vb
            QMp = special.chdtrc(1.0, QM)
            pval = 2 * special.ndtr(-np.abs(stat))
            crit = np.full(n, -special.ndtri(a / 2))
            dfo = np.full(n, np.nan)
        # heterogeneity from the equal-effects fit (sums formula, as rma)
        QE = np.maximum(swy20 - swy0 * swy0 / sw0, 0.0)
        trP0 = sw0 - rowdot(w0, w0) / sw0
        has = k > 1
        QEp = np.where(has, special.chdtrc(df, QE), 1.0)
        vt = np.where(has, df / trP0, 0.0)
        QE = np.where(has, QE, 0.0)
        if ee:
            I2 = np.where(has & (QE > 0), np.maximum(0.0, 100 * (QE - df) / QE), 0.0)
            H2 = np.where(has, QE / df, 1.0)
            pi_lb, pi_ub = beta - crit * se, beta + crit * se
        else:
            I2 = 100 * t2 / (vt + t2)
            H2 = t2 / vt + 1
            s = np.sqrt(vb + t2)
            pi_lb, pi_ub = beta - crit * s, beta + crit * s
    bad = status != "ok"
    if bad.any():
        for arr in (se, stat, pval, QM, QMp, pi_lb, pi_ub):
            arr[bad] = np.nan
    res = RMABatchResult(
        method=method,
        test=test,
        level=float(level),
        k=k.astype(int),
        coefs=Coefs(
            ["intrcpt"] * n,
            beta,
            se,
            stat,
            pval,
            beta - crit * se,
            beta + crit * se,
            vb,
            "t" if test == "knha" else "z",
            dfo if test == "knha" else None,
            float(level),
        ),
        tau2=tau2,
        se_tau2=se_tau2,
        QE=QE,
        QEp=QEp,
        QM=QM,
        QMp=QMp,
        I2=I2,
        H2=H2,
        vt=vt,
        s2w=s2w,
        pi_lb=pi_lb,
        pi_ub=pi_ub,
        iterations=iters,
        status=status.astype(str),
    )
    if confint:
        if ee:
            raise ModelError("an equal-effects model has no tau^2 to give a confidence interval for")
        lb, ub = qprofile_rows(y, v, m, k, df, t2, level, qprofile_tolerance(confint_tol, None))
        res.tau2_ci_lb, res.tau2_ci_ub = lb, ub
        with np.errstate(all="ignore"):
            res.I2_ci_lb, res.I2_ci_ub = 100 * lb / (vt + lb), 100 * ub / (vt + ub)
            res.H2_ci_lb, res.H2_ci_ub = lb / vt + 1, ub / vt + 1
    return res
