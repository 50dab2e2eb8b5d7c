"""Row-wise kernels of a batch of intercept-only analyses (:mod:`evsynth.engine.batch`):
row sums and dot products, the generalised Q per row, and the row-wise root searches --
R's ``uniroot`` (Brent) for every row at once (Paule-Mandel, the Q-profile with a
tolerance) and the exact Q-profile bounds by row-wise safeguarded Newton steps; and how many
rows a block of the batch takes (from the L2 cache size).
Masked cells hold y = 0 and v = +inf (weight 0).
"""

from __future__ import annotations

import os

import numpy as np
from scipy import special

__all__: list[str] = []  # kernels of rma_batch, not part of the library's API


if hasattr(np, "vecdot"):  # numpy >= 2.0: faster than einsum for short rows

    def rowdot(a, b):
        return np.vecdot(a, b)
else:  # pragma: no cover

    def rowdot(a, b):
        return np.einsum("ij,ij->i", a, b)


def rowsum(a):
    """Row sums (einsum: several times faster than ``a.sum(axis=1)`` for short rows)."""
    return np.einsum("ij->i", a)


def weights_rows(v, tau2):
    w = v + tau2[:, None]
    np.reciprocal(w, out=w)
    return w


def q_rows(y, v, tau2, y2=None, out=None):
    """Generalised Q = sum w (y - b)^2 by the sums formula (as ``_Sums.q``)."""
    w = np.add(v, tau2[:, None], out=out)
    np.reciprocal(w, out=w)
    sw, swy, swy2 = rowsum(w), rowdot(w, y), rowdot(w, y * y if y2 is None else y2)
    return np.maximum(swy2 - swy * swy / sw, 0.0)


class QRoots:
    """Q(tau^2) - target for the rows of a root search.  The data of rows whose search has
    ended stay in the working arrays until a quarter of them have ended (fewer copies)."""

    def __init__(self, y, v, target):
        self.y, self.v, self.y2, self.target = y, v, y * y, target
        self.buf = np.empty_like(v)
        self.pos = np.arange(y.shape[0])  # position of each live row in the working arrays

    def __call__(self, t):
        tw = np.zeros(self.y.shape[0])
        tw[self.pos] = t
        q = q_rows(self.y, self.v, tw, self.y2, self.buf)
        return q[self.pos] - self.target[self.pos]

    def keep(self, sel):
        """Only the live rows ``sel`` (a boolean over the live rows) go on."""
        self.pos = self.pos[sel]
        if self.pos.size < 0.75 * self.y.shape[0]:
            p = self.pos
            self.y, self.v, self.y2, self.target = self.y[p], self.v[p], self.y2[p], self.target[p]
            self.buf = np.empty_like(self.v)
            self.pos = np.arange(p.size)


# --------------------------------------------------------------------------------------
# row-wise Brent search (R's uniroot, as linalg.r_uniroot, for every row at once)
# --------------------------------------------------------------------------------------


def brent_rows(f, lower, upper, tol, maxiter):
    """Roots of ``f`` (a :class:`QRoots`) for every row in [lower, upper], each row stepping
    exactly as :func:`evsynth.engine.linalg.r_uniroot`.  Rows without a sign change or
    without convergence get NaN."""
    eps = np.finfo(float).eps
    n = lower.size
    out = np.full(n, np.nan)
    rows = np.arange(n)
    a, b = lower.astype(float).copy(), upper.astype(float).copy()
    fa, fb = f(a), f(b)
    z = fa == 0.0
    out[z] = a[z]
    zb = ~z & (fb == 0.0)
    out[zb] = b[zb]
    keep = ~(z | zb) & ~(fa * fb > 0)
    rows, a, b, fa, fb = rows[keep], a[keep], b[keep], fa[keep], fb[keep]
    f.keep(keep)
    c, fc = a.copy(), fa.copy()
    with np.errstate(all="ignore"):
        for _ in range(maxiter + 1):
            if rows.size == 0:
                break
            prev_step = b - a
            sw = np.abs(fc) < np.abs(fb)
            a, b, c = np.where(sw, b, a), np.where(sw, c, b), np.where(sw, b, c)
            fa, fb, fc = np.where(sw, fb, fa), np.where(sw, fc, fb), np.where(sw, fb, fc)
            tol_act = 2 * eps * np.abs(b) + tol / 2
            new_step = (c - b) / 2
            done = (np.abs(new_step) <= tol_act) | (fb == 0.0)
            if done.any():
                out[rows[done]] = b[done]
                k = ~done
                rows, a, b, c, fa, fb, fc = rows[k], a[k], b[k], c[k], fa[k], fb[k], fc[k]
                prev_step, tol_act, new_step = prev_step[k], tol_act[k], new_step[k]
                f.keep(k)
                if rows.size == 0:
                    break
            interp = (np.abs(prev_step) >= tol_act) & (np.abs(fa) > np.abs(fb))
            if interp.any():
                cb = c - b
                sec = a == c
                t1s = fb / fa
                ps, qs = cb * t1s, 1.0 - t1s
                qi = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                pi = t2 * (cb * qi * (qi - t1) - (b - a) * (t1 - 1.0))
                qi = (qi - 1.0) * (t1 - 1.0) * (t2 - 1.0)
                p = np.where(sec, ps, pi)
                q = np.where(sec, qs, qi)
                pos = p > 0
                q = np.where(pos, -q, q)
                p = np.where(pos, p, -p)
                acc = interp & (p < (0.75 * cb * q - np.abs(tol_act * q) / 2)) & (p < np.abs(prev_step * q / 2))
                new_step = np.where(acc, p / q, new_step)
            small = np.abs(new_step) < tol_act
            new_step = np.where(small, np.where(new_step > 0, tol_act, -tol_act), new_step)
            a, fa = b, fb
            b = b + new_step
            fb = f(b)
            same = ((fb > 0) & (fc > 0)) | ((fb < 0) & (fc < 0))
            c = np.where(same, a, c)
            fc = np.where(same, fa, fc)
    return out


def _qd_rows(y, v, yy, t, buf, deriv=True):
    """Q(tau^2) and sum w^2 r^2 (= -dQ/dtau^2) per row (rows centred: cancellation-free);
    ``deriv=False``: Q only (the derivative is None)."""
    w = np.add(v, t[:, None], out=buf)
    np.reciprocal(w, out=w)
    sw, swy, swy2 = rowsum(w), rowdot(w, y), rowdot(w, yy)
    b = swy / sw
    q = np.maximum(swy2 - b * swy, 0.0)
    if not deriv:
        return q, None
    w *= w
    sw2, sw2y, sw2y2 = rowsum(w), rowdot(w, y), rowdot(w, yy)
    return q, sw2y2 - 2 * b * sw2y + b * b * sw2


def _newton_rows(y, v, yy, target, lo, hi, start, first):
    """Row-wise safeguarded Newton search (as :func:`evsynth.engine.linalg.newton_root`, every
    row its own bracket, the same steps and stopping rule) for the roots of 1/Q(tau^2) =
    1/target, to full precision.  ``first``: (Q, dQ) at ``start`` (shared by both bounds)."""
    n = y.shape[0]
    out = np.full(n, np.nan)
    rows = np.arange(n)
    inside = (lo < start) & (start < hi)
    x = np.where(inside, start, 0.5 * (lo + hi))
    prev = np.full(n, np.inf)
    newton = np.zeros(n, dtype=bool)  # whether the previous step was a Newton step
    Y, V, YY, T = y, v, yy, target
    buf = np.empty_like(V)
    pos = np.arange(n)  # position of each live row in the working arrays
    with np.errstate(all="ignore"):
        for it in range(200):
            if rows.size == 0:
                break
            if it == 0:
                q, d = first[0].copy(), first[1].copy()
                out_ = np.flatnonzero(~inside)  # rows whose estimate is not inside: start mid-way
                if out_.size:
                    q[out_], d[out_] = _qd_rows(Y[out_], V[out_], YY[out_], x[out_], np.empty((out_.size, V.shape[1])))
            else:
                tw = np.zeros(Y.shape[0])
                tw[pos] = x
                q, d = _qd_rows(Y, V, YY, tw, buf)
                q, d = q[pos], d[pos]
            g = 1.0 / q - 1.0 / T[pos]
            gd = d / (q * q)
            up = g > 0
            hi = np.where(up, x, hi)
            lo = np.where(up, lo, x)
            step = np.where((gd != 0) & np.isfinite(gd), g / gd, np.inf)
            nx = x - step
            mid = 0.5 * (lo + hi)
            ast, apr = np.abs(step), np.abs(prev)
            bis = ~((lo < nx) & (nx < hi)) | (ast > 0.5 * apr)
            nx = np.where(bis, mid, nx)
            stuck = bis & ~((lo < mid) & (mid < hi))
            conv = ~bis & (
                (ast <= 1e-13 * np.abs(nx))
                | (newton & (ast <= 1e-3 * apr) & (ast**3 <= 1e-15 * np.abs(nx) * apr * apr))
            )
            zero = g == 0.0
            done = zero | stuck | conv
            if done.any():
                out[rows[zero | stuck]] = x[zero | stuck]
                c = conv & ~zero
                out[rows[c]] = nx[c]
            keep = ~done
            prev = np.where(bis, x - nx, step)[keep]
            newton = ~bis[keep]
            rows, x, lo, hi, pos = rows[keep], nx[keep], lo[keep], hi[keep], pos[keep]
            if pos.size < 0.75 * Y.shape[0]:
                Y, V, YY, T = Y[pos], V[pos], YY[pos], T[pos]
                buf = np.empty_like(V)
                pos = np.arange(pos.size)
    return out


def qprofile_rows(y, v, m, k, df, tau2, level, tol=None):
    """Q-profile bounds for tau^2 (as ``confint_tau2``): the roots of Q(tau^2) = chi^2
    quantiles in [0, max(100, 10 tau^2)]; exact (row-wise safeguarded Newton) when ``tol``
    is None, else the row-wise R ``uniroot`` search with that tolerance."""
    a = 1 - level / 100
    crit_u = special.chdtri(df, a / 2)  # chi2.isf(a/2, df): for the lower bound
    crit_l = 2 * special.gammaincinv(df / 2, a / 2)  # chi2.ppf(a/2, df): for the upper bound
    n = y.shape[0]
    mean = rowsum(y) / k  # masked cells hold 0
    yc = y - mean[:, None]
    if not m.all():
        yc[~m] = 0.0
    hi = np.maximum(100.0, 10 * tau2)
    buf = np.empty_like(v)
    yy = yc * yc
    q0 = _qd_rows(yc, v, yy, np.zeros(n), buf, deriv=False)[0]
    qhi = _qd_rows(yc, v, yy, hi, buf, deriv=False)[0]
    first = _qd_rows(yc, v, yy, tau2, buf) if tol is None else None  # both searches start here

    def bound(target):
        out = np.zeros(n)
        need = ~(q0 < target)
        above = need & (qhi > target)
        out[above] = hi[above]  # above the search ceiling: reported as the ceiling, as metafor (issue 15)
        todo = np.flatnonzero(need & ~(qhi > target))
        if todo.size:
            yt, vt, tt = yc[todo], v[todo], target[todo]
            if tol is None:
                out[todo] = _newton_rows(
                    yt, vt, yy[todo], tt, np.zeros(todo.size), hi[todo], tau2[todo], (first[0][todo], first[1][todo])
                )
            else:
                out[todo] = brent_rows(QRoots(yt, vt, tt), np.zeros(todo.size), hi[todo], tol, 1000)
        return out

    return bound(crit_u), bound(crit_l)


def _l2_bytes() -> int:
    """Size of the L2 cache (Linux sysfs or sysconf), 1 MiB when the system does not say."""
    try:
        for d in sorted(os.listdir("/sys/devices/system/cpu/cpu0/cache")):
            base = f"/sys/devices/system/cpu/cpu0/cache/{d}/"
            with open(base + "level") as f:
                if f.read().strip() != "2":
                    continue
            with open(base + "size") as f:
                txt = f.read().strip().upper()
            mult = {"K": 1 << 10, "M": 1 << 20}.get(txt[-1:], 1)
            return int(txt.rstrip("KM")) * mult
    except (OSError, ValueError):
        pass
    try:
        size = int(os.sysconf("SC_LEVEL2_CACHE_SIZE"))
    except (AttributeError, ValueError, OSError):
        size = 0
    return size if size > 0 else 1 << 20


_L2 = None


def block_rows(k: int) -> int:
    """Rows per block of the scoring loop and of the sums at the estimate: the five (rows, k)
    working arrays of a block take about twice the L2 cache.  Measured at k = 50 on a
    2 MiB-L2 Xeon (bench/bench_engine.py section 1): 1x to 3x the L2 size are equally fast
    and about 6% faster than one block of all 20,000 rows; smaller blocks lose more
    to numpy's fixed cost per call than they gain in cache hits."""
    global _L2
    if _L2 is None:
        _L2 = _l2_bytes()
    return int(min(16384, max(64, 2 * _L2 // (5 * 8 * max(k, 1)))))
