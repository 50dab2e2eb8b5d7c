"""All k leave-one-out fits of a univariate model at once, in O(k p^2) (issue 16 item 4).

Every quantity of a fit with weights ``w = 1/(v + tau2)`` is a weighted sum of the
per-effect features ``F_j = (1, x_j x_j', x_j y_j, y_j^2)``.  The fit without effect ``i``
uses the totals minus the left-out term.  With fixed weights (the equal-effects fit behind
QE, DL, HS; ordinary least squares behind HE) that is exact downdating.  Where each
left-out fit has its own tau2_i (the final statistics, the iterative estimators ML, REML,
PM, EB and SJ), the totals at tau2_i are power series in ``delta_i = tau2_i - c`` around a
centre ``c`` (the full fit's tau2)::

    sum_j F_j / (v_j + c + delta)^m = sum_n binom(m+n-1, n) (-delta)^n sum_j F_j u_j^(m+n),
    u_j = 1 / (v_j + c),

so one set of moments ``sum_j F_j u_j^q`` (q = 1 .. N + 3) serves all k fits.  The series
is summed to machine precision (N chosen from ``max |delta_i| max u_j``); a fit whose
tau2_i lies outside half the radius of convergence is summed exactly instead (O(k) each:
"an exact final step where needed").  The response is centred on the full fit
(``y - X b``) so that the sums do not cancel.  tau2_i is iterated for all left-out fits
together (Fisher scoring for ML and REML, Newton steps on Q(tau2) = k - 1 - p for PM and
EB, whose fixed point is the same root) from the full fit's tau2 to full precision; a fit
that does not converge is refitted alone.
"""

from __future__ import annotations

import numpy as np

from evsynth.engine.estimators import DEFAULT_CONTROL, estimate_tau2
from evsynth.errors import ModelError

__all__ = ["loo_fits"]

_RADIUS = 0.5  # series used while |delta| max(u) <= this
_TOL = 1e-12  # convergence of tau2_i, relative to tau2_i + median(v)
_CHUNK = 2_000_000  # elements per block of the exact sums
_NMAX = 200  # most terms of a series


def _binomials(mmax: int = 3, nmax: int = _NMAX + 4) -> np.ndarray:
    """binom(m - 1 + n, n) for m = 0 .. mmax (rows) and n = 0 .. nmax (columns), built once
    by Pascal's rule: binom(m - 1 + n, n) = binom(m - 2 + n, n) + binom(m - 1 + n - 1, n - 1)."""
    B = np.zeros((mmax + 1, nmax + 1))
    B[0, 0] = 1.0  # m = 0: binom(n - 1, n) is 1 at n = 0 and 0 after
    for m in range(1, mmax + 1):
        B[m] = np.cumsum(B[m - 1])
    return B


_BINOM = _binomials()
# the remainder bound of the series for m <= 3 after n terms: binom(n + 3, 2) r^(n + 1)
_REM_COEF = (np.arange(_NMAX + 1) + 3.0) * (np.arange(_NMAX + 1) + 2.0) / 2


def _features(X: np.ndarray, yt: np.ndarray) -> np.ndarray:
    """The features F_j, one column per effect size: shape (f, k), f = 1 + p^2 + p + 1.  With
    an intercept (X[:, 0] all 1) the leading 1 is the entry x_0 x_0 already: it is left out
    (f = p^2 + p + 1) and :class:`_Parts` reads sum w from A[0, 0]."""
    k, p = X.shape
    xx = (X[:, :, None] * X[:, None, :]).reshape(k, p * p)
    lead = [] if np.all(X[:, 0] == 1.0) else [np.ones(k)]
    return np.ascontiguousarray(np.column_stack([*lead, xx, X * yt[:, None], yt * yt]).T)


# Stacks of p x p matrices are held as (p, p, n): one n-vector per entry, so that every
# operation runs along the left-out fits.
def _inv(A: np.ndarray) -> np.ndarray:
    if A.shape[0] == 1:
        return 1.0 / A
    return np.linalg.inv(A.transpose(2, 0, 1)).transpose(1, 2, 0)


def _tr(A, B) -> np.ndarray:
    """tr(A_i B_i) for stacks of p x p matrices."""
    return np.einsum("pqi,qpi->i", A, B)


def _mm(A, B) -> np.ndarray:
    return np.einsum("pqi,qri->pri", A, B)


class _Parts:
    """The sums of one weight power unpacked: s = sum w, A = sum w x x', b = sum w x y,
    c = sum w y^2 (columns: the left-out fits)."""

    def __init__(self, S: np.ndarray, p: int):
        o = S.shape[0] - (p * p + p + 1)  # 1: a leading row of sum w; 0: sum w is A[0, 0] (intercept)
        self.A = S[o : o + p * p].reshape(p, p, -1)
        self.s = S[0] if o else self.A[0, 0]
        self.b = S[o + p * p : o + p * p + p]
        self.c = S[-1]


class _Fits:
    """Weighted least squares of every left-out fit from its sums with weights w, w^2, w^3."""

    def __init__(self, S1, S2=None, S3=None, p=1):
        if p == 1:  # scalars per fit: plain array arithmetic (no stacks of 1 x 1 matrices)
            self._scalar(S1, S2, S3)
            return
        one = _Parts(S1, p)
        self.sw = one.s
        self.M = _inv(one.A)
        self.beta = np.einsum("pqi,qi->pi", self.M, one.b)  # of the centred response, (p, n)
        self.rss = np.maximum(one.c - np.einsum("pi,pi->i", one.b, self.beta), 0.0)
        if S2 is not None:
            two = _Parts(S2, p)
            self.sw2 = two.s
            self.MA2 = _mm(self.M, two.A)
            # y'PPy = sum w^2 r^2
            self.ypp = np.maximum(
                two.c
                - 2 * np.einsum("pi,pi->i", self.beta, two.b)
                + np.einsum("pi,pqi,qi->i", self.beta, two.A, self.beta),
                0.0,
            )
            self.trP = self.sw - np.einsum("ppi->i", self.MA2)
        if S3 is not None:  # only the rows of A (see _Series.at)
            self.trPP = self.sw2 - 2 * _tr(self.M, S3.reshape(p, p, -1)) + _tr(self.MA2, self.MA2)

    def _scalar(self, S1, S2, S3):
        """p = 1: the rows of S are (s, A, b, c), or (A, b, c) when s = A (intercept); the same
        formulas as above on n-vectors."""
        self.sw = S1[0]
        m = 1.0 / S1[-3]
        b = m * S1[-2]
        self.M = m[None, None, :]
        self.beta = b[None, :]
        self.rss = np.maximum(S1[-1] - S1[-2] * b, 0.0)
        if S2 is not None:
            self.sw2 = S2[0]
            ma2 = m * S2[-3]
            self.MA2 = ma2[None, None, :]
            self.ypp = np.maximum(S2[-1] - 2 * b * S2[-2] + b * b * S2[-3], 0.0)
            self.trP = self.sw - ma2
        if S3 is not None:
            self.trPP = self.sw2 - 2 * m * S3[0] + ma2 * ma2


def _downdated(F: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """sum_{j != i} w_j F_j for every i, exactly (fixed weights; None: unit weights); shape (f, k)."""
    if w is None:
        return F.sum(axis=1)[:, None] - F
    return (F @ w)[:, None] - F * w


def _n_terms(r: float) -> int:
    """Terms of the series for m <= 3 whose remainder is below 1e-17 at ratio r."""
    if r <= 0:
        return 0
    with np.errstate(under="ignore", over="ignore"):
        big = _REM_COEF * r ** np.arange(1, _NMAX + 2) > 1e-17
    return int(np.argmin(big)) if not big.all() else _NMAX


def _powers(z: np.ndarray, N: int) -> np.ndarray:
    """z^n for n = 0..N, shape (N + 1, len(z)), by running products."""
    D = np.empty((N + 1, z.size))
    D[0] = 1.0
    for n in range(1, N + 1):
        np.multiply(D[n - 1], z, out=D[n])
    return D


class _Series:
    """sum_{j != i} F_j / (v_j + t_i)^m for left-out fits i with their own t_i, around centre c."""

    def __init__(self, v: np.ndarray, F: np.ndarray, centre: float, p: int):
        self.v, self.F, self.c = v, F, float(centre)
        o = F.shape[0] - (p * p + p + 1)
        # the features each weight power needs: all, except w^3 (only tr(M X'W^3X) of REML's
        # information uses it): the rows of A
        self.rows = {1: slice(None), 2: slice(None), 3: slice(o, o + p * p)}
        d = v + self.c
        self.s = 1.0 / d.min()  # max u_j
        self.ut = d.min() / d  # u_j / max u, in (0, 1]
        self.G = np.zeros((0, F.shape[0]))
        self.logd = float(np.sum(np.log(d)))
        self.exact_count = 0
        # the last point evaluated (idx, t, results): the likelihood check after a change of
        # direction evaluates the point the next scoring step (or the final fit) starts from
        self._last_at = self._last_log = None

    @staticmethod
    def _same(last, idx, t) -> bool:
        return (
            last is not None
            and last[0].size == idx.size
            and np.array_equal(last[1], t)
            and np.array_equal(last[0], idx)
        )

    def _moments(self, q: int) -> None:
        if self.G.shape[0] > q:
            return
        q = max(q, 16, 2 * (self.G.shape[0] - 1))
        U = np.empty((q + 1, self.ut.size))
        U[0] = 1.0
        for j in range(1, q + 1):
            np.multiply(U[j - 1], self.ut, out=U[j])
        self.G = U @ self.F.T

    def logsum(self, idx: np.ndarray, t: np.ndarray) -> np.ndarray:
        """sum_{j != i} log(v_j + t_i): log(d + delta) = log d + sum_n (-1)^(n+1) (delta u)^n / n."""
        if self._same(self._last_log, idx, t):
            return self._last_log[2]
        out = self._logsum(idx, t)
        self._last_log = (idx.copy(), t.copy(), out)
        return out

    def _logsum(self, idx: np.ndarray, t: np.ndarray) -> np.ndarray:
        delta = t - self.c
        r = np.abs(delta) * self.s
        out = np.empty(idx.size)
        ser = r <= _RADIUS
        if ser.any():
            N = _n_terms(float(r[ser].max())) + 1
            self._moments(N + 3)
            D = _powers(-delta[ser] * self.s, N)  # (-delta s)^n
            nn = np.arange(1, N + 1)
            out[ser] = self.logd - (self.G[1 : N + 1, 0] / nn) @ D[1:]
        for i in np.flatnonzero(~ser):
            out[i] = np.sum(np.log(self.v + t[i]))
        return out - np.log(self.v[idx] + t)

    def at(self, idx: np.ndarray, t: np.ndarray, ms=(1, 2, 3)) -> dict:
        """The sums with weights w^m (m in ``ms``), shape (f, len(idx)) each (w^3: the rows of A
        only, (p^2, len(idx))); read-only: the last result is reused when the same point is
        asked for again."""
        last = self._last_at
        if self._same(last, idx, t) and set(ms) <= set(last[2]):
            return {m: last[2][m] for m in ms}
        out = self._at(idx, t, ms)
        self._last_at = (idx.copy(), t.copy(), out)
        return out

    def _at(self, idx: np.ndarray, t: np.ndarray, ms) -> dict:
        n = idx.size
        delta = t - self.c
        rmax = max(float(delta.max()), -float(delta.min())) * self.s if n else 0.0
        all_ser = rmax <= _RADIUS
        if all_ser:
            ser = None
        else:
            r = np.abs(delta) * self.s
            ser = r <= _RADIUS
        out = {}
        if all_ser or ser.any():
            N = _n_terms(rmax if all_ser else float(r[ser].max()))
            self._moments(max(ms) + N)
            D = _powers(-(delta if all_ser else delta[ser]) * self.s, N)
            nn = np.arange(N + 1)
            H = np.concatenate(
                [self.s**m * _BINOM[m, nn][:, None] * self.G[m : m + N + 1, self.rows[m]] for m in ms], axis=1
            )
            R = H.T @ D  # (features of each power, n)
            j = 0
            for m in ms:
                fm = self.F[self.rows[m]].shape[0]
                if all_ser:
                    out[m] = R[j : j + fm]
                else:
                    out[m] = np.empty((fm, n))
                    out[m][:, ser] = R[j : j + fm]
                j += fm
        else:
            out = {m: np.empty((self.F[self.rows[m]].shape[0], n)) for m in ms}
        if not all_ser:
            ex = np.flatnonzero(~ser)
            self.exact_count += ex.size
            step = max(1, _CHUNK // self.v.size)
            for a in range(0, ex.size, step):
                sel = ex[a : a + step]
                W = 1.0 / (self.v[:, None] + t[None, sel])  # (k, chunk)
                Wm = W
                for m in range(1, max(ms) + 1):
                    if m in ms:
                        out[m][:, sel] = self.F[self.rows[m]] @ Wm
                    if m < max(ms):
                        Wm = Wm * W
        # idx is sorted without repeats (active sets of arange(k)): a run of rows is a slice
        run = slice(int(idx[0]), int(idx[-1]) + 1) if n and idx[-1] - idx[0] == n - 1 else idx
        Fi = self.F[:, run]
        wi = 1.0 / (self.v[run] + t)
        wm = wi
        for m in range(1, max(ms) + 1):
            if m in ms:
                out[m] -= Fi[self.rows[m]] * wm
            if m < max(ms):
                wm = wm * wi
        return out


def _logdet_M(M: np.ndarray) -> np.ndarray:
    return np.linalg.slogdet(M.transpose(2, 0, 1))[1] if M.shape[0] > 1 else np.log(M[0, 0])


def _loglik(kind: str, logsum, fi: _Fits, n: int, p: int) -> np.ndarray:
    """(Restricted) log-likelihood of left-out fits (as models._loglik) from sum log(v + tau2)
    and the weighted least squares parts."""
    ll = -0.5 * logsum - 0.5 * fi.rss
    if kind == "REML":
        return ll - 0.5 * (n - p) * np.log(2 * np.pi) + 0.5 * _logdet_M(fi.M)
    return ll - 0.5 * n * np.log(2 * np.pi)


def _newton_pm(ser: _Series, t0: np.ndarray, p: int, target: float, tol_scale: float, maxiter: int = 300):
    """The Paule-Mandel root Q(tau2_i) = target of every left-out fit by Newton steps
    (dQ/dtau2 = -sum w^2 r^2; Q is convex and decreasing, so the steps converge), to full
    precision; returns tau2 and the fits that did not converge."""
    t = t0.copy()
    active = np.arange(t.size)
    failed = []
    for _ in range(maxiter):
        if active.size == 0:
            break
        S = ser.at(active, t[active], (1, 2))
        fi = _Fits(S[1], S[2], None, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            adj = (fi.rss - target) / fi.ypp
        bad = ~np.isfinite(adj)  # no usable step (a zero derivative): left to the refit
        failed.append(active[bad])
        active, adj = active[~bad], adj[~bad]
        cur = t[active]
        new = np.maximum(cur + adj, 0.0)
        done = np.abs(new - cur) <= _TOL * (new + tol_scale)
        t[active] = new
        active = active[~done]
    return t, np.concatenate([active, *failed]).astype(int)


def _scoring(kind: str, ser: _Series, t0: np.ndarray, p: int, n: int, con: dict):
    """tau2_i of every left-out fit by metafor's iteration, all fits at once, step for step
    as :func:`evsynth.engine.estimators.estimate_tau2`: from the Hedges start, Fisher scoring (ML,
    REML) or Morris' fixed-point step (EB), the step halved while tau2 would turn negative
    and, for (RE)ML, until the likelihood does not drop; stop
    when the change is below ``threshold``.  Returns tau2 and the fits not converged in
    ``maxiter`` steps."""
    t = t0.copy()
    prev = np.zeros(t.size)
    active = np.arange(t.size)
    ms = (1, 2, 3) if kind == "REML" else (1, 2) if kind == "ML" else (1,)
    for _ in range(int(con["maxiter"])):
        if active.size == 0:
            break
        cur = t[active]
        S = ser.at(active, cur, ms)
        fi = _Fits(S[1], S.get(2), S.get(3), p)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "REML":
                adj = (fi.ypp - fi.trP) / fi.trPP
            elif kind == "ML":
                adj = (fi.ypp - fi.sw) / fi.sw2
            else:
                adj = (fi.rss * n / (n - p) - n) / fi.sw
        adj = np.where(np.isfinite(adj), adj, 0.0)
        for _h in range(1100):  # halve until tau2 + adj >= 0 (as often as the scalar loop would)
            neg = cur + adj < 0
            if not neg.any():
                break
            adj = np.where(neg, adj / 2, adj)
        if kind != "EB":
            turn = np.flatnonzero(adj != 0)  # every step, as estimate_tau2
            if turn.size:
                every = turn.size == active.size
                sub, tt = (active, cur) if every else (active[turn], cur[turn])
                ll0 = _loglik(kind, ser.logsum(sub, tt), _Fits(S[1] if every else S[1][:, turn], None, None, p), n, p)
                a = adj[turn]
                fixed = np.zeros(turn.size, bool)
                for _h in range(50):
                    # all weight powers: usually the point the next step starts from (reused there)
                    Sc = ser.at(sub, tt + a, ms)
                    llc = _loglik(kind, ser.logsum(sub, tt + a), _Fits(Sc[1], None, None, p), n, p)
                    fixed |= llc >= ll0 - 1e-12 * np.abs(ll0)
                    if fixed.all():
                        break
                    a = np.where(fixed, a, a / 2)
                adj[turn] = a
        prev[active] = adj
        new = cur + adj
        t[active] = new
        active = active[~(np.abs(new - cur) < con["threshold"])]
    return t, active


def loo_fits(fit) -> dict:
    """Every leave-one-out fit of a univariate :class:`RMAResult` ``fit``.

    Parameters
    ----------
    fit : RMAResult
        A univariate fit (the rare left-out fit whose iteration does not converge is
        refitted alone by :func:`evsynth.engine.estimators.estimate_tau2`).

    Returns
    -------
    dict
        Arrays over the left-out effect i: ``tau2``, ``beta`` (k, p), ``vb`` (k, p, p),
        ``s2w``, ``QE``, ``vt`` (typical sampling variance of the equal-effects fit),
        ``exact`` (how many fits were summed exactly rather than by the series).
    """
    y, v, X = fit.yi, fit.vi, fit.X
    k, p = X.shape
    kk = k - 1
    df = kk - p
    b0 = np.asarray(fit.beta, float)
    yt = y - X @ b0
    F = _features(X, yt)
    method = fit.method
    # equal-effects fit without i (QE, vt, DL, HS): exact downdating
    w0 = 1.0 / v
    fe_S1 = _downdated(F, w0)
    fe = _Fits(fe_S1, _downdated(F, w0 * w0), None, p)
    QE = fe.rss
    vt = df / fe.trP
    centre = float(fit.tau2)
    ser = _Series(v, F, centre, p)
    unconverged = np.zeros(0, int)
    if method in ("HE", "ML", "REML", "EB"):
        ols = _Fits(_downdated(F, None), None, None, p)
        Fv = _Parts(_downdated(F, v), p)  # sum v, sum v x x' (weights v_j)
        tau2_he = (ols.rss - (Fv.s - _tr(ols.M, Fv.A))) / df
    if method in ("EE", "FE"):
        tau2 = np.zeros(k)
    elif method == "DL":
        tau2 = np.maximum(0.0, (QE - df) / fe.trP)
    elif method == "HS":
        tau2 = np.maximum(0.0, (QE - kk) / fe.sw)
    elif method == "HE":
        tau2 = np.maximum(0.0, tau2_he)
    elif method == "SJ":
        ybar = y.mean()
        ss = np.sum((y - ybar) ** 2)
        tau0 = np.maximum((ss - (y - ybar) ** 2 * k / kk) / kk, 0.0)  # var(y_-i) with divisor k - 1
        s0 = _Series(v, F, float(np.var(y)), p)
        fi = _Fits(s0.at(np.arange(k), tau0, (1,))[1], None, None, p)
        tau2 = np.where(tau0 > 0, tau0 * fi.rss / df, 0.0)
        ser.exact_count += s0.exact_count
    elif method == "PM":
        tau2, unconverged = _newton_pm(ser, np.full(k, centre), p, float(df), float(np.median(v)))
    elif method in ("ML", "REML", "EB"):
        con = DEFAULT_CONTROL
        tau2, unconverged = _scoring(method, ser, np.maximum(0.0, tau2_he), p, kk, con)
    else:  # pragma: no cover - rma validates the method
        raise ModelError(f"leave-one-out: unknown estimator {method}")
    for i in unconverged:  # rare: the fit alone, with the estimator's own safeguards
        keep = np.arange(k) != i
        con = {"threshold": 1e-13, "maxiter": 10_000} if method == "PM" else None
        tau2[i] = estimate_tau2(y[keep], v[keep], X[keep], method, control=con).tau2
    S1 = ser.at(np.arange(k), tau2, (1,))[1]
    fin = _Fits(S1, None, None, p)
    if method in ("ML", "REML"):
        # metafor's check: the boundary 0 when its likelihood is larger (sums at 0: exact
        # downdating, the equal-effects fits above)
        above = tau2 > DEFAULT_CONTROL["threshold"]
        above[unconverged] = False
        chk = np.flatnonzero(above)
        if chk.size == k:  # the usual case: no copies of the sums
            ll_t = _loglik(method, ser.logsum(chk, tau2), fin, kk, p)
            ll_0 = _loglik(method, np.sum(np.log(v)) - np.log(v), fe, kk, p)
        elif chk.size:
            ll_t = _loglik(method, ser.logsum(chk, tau2[chk]), _Fits(S1[:, chk], None, None, p), kk, p)
            ll_0 = _loglik(method, np.sum(np.log(v)) - np.log(v[chk]), _Fits(fe_S1[:, chk], None, None, p), kk, p)
        if chk.size:
            zero = chk[ll_0 - ll_t > DEFAULT_CONTROL["tol"]]
            if zero.size:
                tau2[zero] = 0.0
                S1 = S1.copy()  # the series' cached result is not changed
                S1[:, zero] = fe_S1[:, zero]
                fin = _Fits(S1, None, None, p)
    tau2 = np.maximum(tau2, 0.0)
    beta = b0[None, :] + fin.beta.T
    if fit.test in ("knha", "adhoc"):
        eps = np.finfo(float).eps
        s2w = np.where(fin.rss > eps, fin.rss / df, 0.0)
        if fit.test == "knha" and np.any(s2w == 0):
            i = int(np.flatnonzero(s2w == 0)[0])
            raise ModelError(
                f"the Knapp-Hartung adjustment is undefined without effect {i + 1}: the other effects "
                "fit the model exactly; use test 'z'"
            )
        if fit.test == "adhoc":
            s2w = np.maximum(1.0, s2w)
    else:
        s2w = np.ones(k)
    vb = fin.M.transpose(2, 0, 1) * s2w[:, None, None]
    return {
        "tau2": tau2,
        "beta": beta,
        "vb": vb,
        "s2w": s2w,
        "QE": QE,
        "vt": vt,
        "df": df,
        "exact": ser.exact_count,
        "refits": int(unconverged.size),
    }
