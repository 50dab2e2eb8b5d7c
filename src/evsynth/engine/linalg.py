"""Weighted least squares and trace identities in O(k p^2).

For a diagonal weight vector ``a`` and design ``X`` (k x p) the projection-type matrix
``P = A - A X (X'AX)^-1 X'A`` is never formed. Every quantity the estimators need
(tr P, tr PDPE for diagonal D and E, y'Py, y'PPy) follows from p x p algebra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evsynth.errors import InputError, ModelError

__all__ = [
    "inv_pd",
    "WLS",
    "wls",
    "r_uniroot",
    "newton_root",
    "design_matrix",
    "factorize",
    "power_sums",
    "FUSED_BLOCK",
]

# doubles per block of :func:`power_sums`: a block of v, of the three data rows and of the
# weight rows (about 1 MB at 16384) stays in the L2 cache while it is worked on (full
# inference at k = 1e6 on the 2-core VM: blocks of 16384 24.7 ms, 24576 25.3 ms, 32768 24.8 ms)
FUSED_BLOCK = 16384


def inv_pd(a: np.ndarray, what: str = "X'WX") -> np.ndarray:
    """Inverse of a small symmetric positive-definite matrix (by Cholesky).

    Parameters
    ----------
    a : ndarray, shape (p, p)
        The matrix.
    what : str
        Its name in the error message.

    Returns
    -------
    ndarray, shape (p, p)

    Raises
    ------
    ModelError
        When ``a`` is not positive definite (a singular design).
    """
    try:
        c = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ModelError(
            f"the model matrix is singular ({what} is not positive definite): a moderator is "
            "constant or a linear combination of others"
        ) from None
    ci = np.linalg.solve(c, np.eye(a.shape[0]))
    return ci.T @ ci


@dataclass
class WLS:
    """A weighted least-squares fit with weights ``a``."""

    a: np.ndarray
    X: np.ndarray
    y: np.ndarray
    M: np.ndarray  # (X'AX)^-1
    beta: np.ndarray
    resid: np.ndarray
    io: bool | None = None  # intercept-only (checked once, on first use, when not given)
    rss_known: float | None = None  # y'Py when the caller has it from weighted sums (resid may be None)

    @property
    def k(self) -> int:
        return self.X.shape[0]

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def rss(self) -> float:
        """y'Py = sum a r^2."""
        if self.rss_known is not None:
            return self.rss_known
        return float(np.dot(self.a * self.resid, self.resid))

    @property
    def Py(self) -> np.ndarray:
        return self.a * self.resid

    @property
    def intercept_only(self) -> bool:
        if self.io is None:
            self.io = self.X.shape[1] == 1 and bool(np.all(self.X == 1.0))
        return self.io

    def lev(self) -> np.ndarray:
        """x_i' M x_i for every row."""
        return np.einsum("ij,ij->i", self.X @ self.M, self.X)

    def tr_P(self, d: np.ndarray | None = None) -> float:
        """tr(P D) for diagonal D (identity when ``d`` is None)."""
        a = self.a
        if self.intercept_only:  # P = A - a a' / sum(a): every trace is a few sums
            ad = a if d is None else a * d
            return float(np.sum(ad) - np.dot(a, ad) / np.sum(a))
        d = np.ones_like(a) if d is None else d
        C = (self.X * (a**2 * d)[:, None]).T @ self.X
        return float(np.sum(a * d) - np.sum(self.M * C))

    def tr_PDPE(self, d: np.ndarray | None = None, e: np.ndarray | None = None) -> float:
        """tr(P D P E) for diagonal D and E."""
        if self.intercept_only:
            a = self.a
            m = 1.0 / np.sum(a)
            a2 = a * a
            a2d = a2 if d is None else a2 * d
            a2e = a2 if e is None else a2 * e
            de = a2d if e is None else a2d * e
            return float(np.sum(de) - 2 * m * np.dot(a, de) + m * m * np.sum(a2d) * np.sum(a2e))
        one = np.ones_like(self.a)
        d = one if d is None else d
        e = one if e is None else e
        a, X, M = self.a, self.X, self.M
        h = self.lev()
        t1 = np.sum(a**2 * d * e)
        t2 = np.sum(a**3 * h * d * e)  # tr(A D U E) = tr(U D A E)
        Cd = (X * (a**2 * d)[:, None]).T @ X
        Ce = (X * (a**2 * e)[:, None]).T @ X
        t4 = np.sum((M @ Cd) * (M @ Ce).T)
        return float(t1 - 2 * t2 + t4)


def wls(y: np.ndarray, X: np.ndarray, a: np.ndarray, intercept_only: bool | None = None) -> WLS:
    """Weighted least squares with weight vector ``a``, in O(k p^2).

    Parameters
    ----------
    y : ndarray, shape (k,)
        Responses.
    X : ndarray, shape (k, p)
        Model matrix.
    a : ndarray, shape (k,)
        Weights.
    intercept_only : bool, optional
        Whether ``X`` is a single column of ones, when the caller knows (saves a pass over X).

    Returns
    -------
    WLS
        ``beta``, ``M`` = (X'AX)^-1, residuals, and the trace identities the estimators use.
    """
    if intercept_only is None:
        intercept_only = X.shape[1] == 1 and X[0, 0] == 1.0 and X[-1, 0] == 1.0 and bool(np.all(X == 1.0))
    if intercept_only:
        sa = float(np.sum(a))
        if not sa > 0:
            raise ModelError("the weights sum to zero: the model cannot be fitted")
        b = float(np.dot(a, y)) / sa
        return WLS(a=a, X=X, y=y, M=np.array([[1.0 / sa]]), beta=np.array([b]), resid=y - b, io=True)
    XtA = X.T * a
    M = inv_pd(XtA @ X)
    beta = M @ (XtA @ y)
    return WLS(a=a, X=X, y=y, M=M, beta=beta, resid=y - X @ beta, io=False)


def power_sums(
    v: np.ndarray,
    t,
    Y: np.ndarray,
    W: np.ndarray,
    powers: int = 3,
    log: bool = False,
    cubes: bool = True,
    w_out: np.ndarray | None = None,
    fill: tuple | None = None,
):
    """Weighted power sums for w = 1/(v + t) in one blocked pass over the data.

    ``S[a, j] = sum_i w_i^(a+1) Y[j, i]`` for a < ``powers`` (2 or 3): with ``Y`` the rows
    (1, y - c, (y - c)^2) these are the sums an intercept-only iteration needs (sum w,
    sum w y, sum w^2 y^2, ...).  With ``powers=2`` the third row holds only sum w^3 (in
    ``S[2, 0]``, NaN elsewhere; NaN too with ``cubes=False``), which costs a dot product
    instead of a third row of powers.
    The data are walked in blocks of ``W.shape[1]`` values; per block the weights and their
    powers go into the rows of ``W`` (a reused buffer that stays in cache) and one matrix
    product gives the block's sums, so each evaluation reads v and Y once and allocates
    nothing of size k.  Several tau^2 values (``t`` a tuple, ``powers=2`` only) share the
    pass: one read of the data and one matrix product per block for all of them.

    Parameters
    ----------
    v : ndarray, shape (k,)
        Sampling variances.
    t : float or tuple of float
        tau^2 (several: one S per value, in a list).
    Y : ndarray, shape (n, k)
        Data rows (C-contiguous).
    W : ndarray, shape (>= max(3, 2 len(t)), B)
        Work buffer: the powers of w, blocks of B values.
    powers : {2, 3}
        Rows of powers in the product (see above).
    log : bool
        Also return sum log(v + t) (one t only).
    cubes : bool
        With ``powers=2``: compute sum w^3.
    w_out : ndarray, shape (k,), optional
        Receives w (one t only).
    fill : (y, c), optional
        Write the rows (1, y - c, (y - c)^2) into ``Y`` block by block on the way (the
        data rows are built in the same pass as the first sums, while the block is in cache).

    Returns
    -------
    S : ndarray, shape (3, n), or a list of them (``t`` a tuple)
    logsum : float or None
    """
    ts = tuple(t) if isinstance(t, (tuple, list)) else (t,)
    m = len(ts)
    if m > 1 and (powers != 2 or log or w_out is not None):
        raise ValueError("power_sums: several tau^2 values only with powers=2, no log and no w_out")
    k = v.size
    B = W.shape[1]
    nrow = 3 if powers == 3 else 2 * m
    acc = np.zeros((nrow, Y.shape[0]))
    sw3 = np.zeros(m)
    logsum = 0.0 if log else None
    for i in range(0, k, B):
        n = min(B, k - i)
        w = W[:nrow, :n]
        if fill is not None:
            Y[0, i : i + n] = 1.0
            np.subtract(fill[0][i : i + n], fill[1], out=Y[1, i : i + n])
            np.square(Y[1, i : i + n], out=Y[2, i : i + n])
        for j, tj in enumerate(ts):
            u = w[2 * j]
            vt = v[i : i + n] if tj == 0.0 else np.add(v[i : i + n], tj, out=u)
            if log:
                logsum += float(np.log(vt, out=W[2, :n]).sum())  # (row 2 is free with powers=2)
            np.reciprocal(vt, out=u)
            np.square(u, out=w[2 * j + 1])
            if powers == 3:
                np.multiply(w[1], u, out=w[2])
            elif cubes:
                sw3[j] += float(w[2 * j + 1] @ u)
        acc += w @ Y[:, i : i + n].T
        if w_out is not None:
            w_out[i : i + n] = w[0]
    if powers == 3:
        return acc, logsum
    out = []
    for j in range(m):
        S = np.full((3, Y.shape[0]), np.nan)
        S[:2] = acc[2 * j : 2 * j + 2]
        S[2, 0] = sw3[j] if cubes else np.nan
        out.append(S)
    return (out if m > 1 else out[0]), logsum


def r_uniroot(f, lower: float, upper: float, tol: float = np.finfo(float).eps ** 0.25, maxiter: int = 1000) -> float:
    """Root of ``f`` in [lower, upper] by Brent's method exactly as R's ``uniroot``
    (R_zeroin2), so that results stop where R stops for the same tolerance.

    Written from the published algorithm (Brent, 1973, ch. 4).

    Parameters
    ----------
    f : callable
        Function of one float, with opposite signs at the two ends.
    lower, upper : float
        The interval.
    tol : float
        R's ``tol`` (default ``.Machine$double.eps^0.25``).
    maxiter : int
        Iterations allowed.

    Returns
    -------
    float

    References
    ----------
    Brent, R. P. (1973). Algorithms for minimization without derivatives. Prentice-Hall, chapter 4.
    """
    eps = np.finfo(float).eps
    a, b = float(lower), float(upper)
    fa, fb = float(f(a)), float(f(b))
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    if fa * fb > 0:
        raise ModelError("root search: the function has the same sign at both ends of the interval")
    c, fc = a, fa
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = float(f(b))
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise ModelError(f"root search did not converge in {maxiter} iterations")


def newton_root(
    fd,
    lower: float,
    upper: float,
    f_lower,
    f_upper,
    start: float | None = None,
    maxiter: int = 200,
    increasing: bool | None = None,
) -> float:
    """Root of a monotone ``f`` in [lower, upper] to full double precision by safeguarded
    Newton steps.

    ``fd(x)`` returns ``(f(x), f'(x))``.  The bracket shrinks with every evaluation; a Newton
    step that leaves it, or is not at most half the step before it, is replaced by
    bisection, so the search cannot diverge or cycle.  It stops when a step is below 1e-13
    relative, or when quadratic convergence makes the error after the step negligible
    (|step|^3 / |previous step|^2 below 1e-15 relative), when ``f`` is exactly 0, or when
    no double is left between the ends.

    Parameters
    ----------
    fd : callable
        ``x -> (f(x), f'(x))``.
    lower, upper : float
        The bracket.
    f_lower, f_upper : float or callable
        ``f`` at the ends, or a function of no argument giving it, called only when a step
        would leave the bracket on that side (saves evaluations).  An end evaluated that way
        with the sign of the inside (the root lies beyond it) is returned.
    start : float, optional
        First point (default: the middle of the bracket).
    maxiter : int
        Evaluations allowed.
    increasing : bool, optional
        Whether ``f`` increases; needed when an end is a callable, else from the end values.

    Returns
    -------
    float
    """
    lo, hi = float(lower), float(upper)
    ends = {"lo": f_lower, "hi": f_upper}
    if increasing is None:
        if callable(f_lower) or callable(f_upper):
            raise ValueError("newton_root: give 'increasing' when an end value is computed lazily")
        if f_lower == 0.0:
            return lo
        if f_upper == 0.0:
            return hi
        if (f_lower > 0) == (f_upper > 0):
            raise ModelError("root search: the function has the same sign at both ends of the interval")
        increasing = f_upper > 0
    sgn = 1.0 if increasing else -1.0  # F = sgn f increases: F(lo) < 0 < F(hi)

    def end(side):
        """F at a bracket end (evaluated now if lazy); None when the root lies beyond it."""
        val = ends[side]
        if callable(val):
            val = ends[side] = float(val())
        return sgn * val

    x = 0.5 * (lo + hi) if start is None or not (lo < start < hi) else float(start)
    prev, newton = np.inf, False  # the previous step and whether it was a Newton step
    for _ in range(maxiter):
        f, d = fd(x)
        f, d = sgn * f, sgn * d
        if f == 0.0:
            return x
        if f > 0:
            hi, ends["hi"] = x, sgn * f
        else:
            lo, ends["lo"] = x, sgn * f
        step = f / d if d != 0.0 and np.isfinite(d) else np.inf
        nx = x - step
        if not (lo < nx < hi):
            side = "lo" if nx <= lo else "hi"
            bnd = lo if side == "lo" else hi
            fe = end(side)
            if fe == 0.0:
                return bnd
            if (fe > 0) == (side == "lo"):
                return bnd  # the root lies beyond this end: the end is the answer
        bisect = not (lo < nx < hi) or abs(step) > 0.5 * abs(prev)
        if bisect:
            nx = 0.5 * (lo + hi)  # bisection: the Newton step left the bracket or stalled
            if not (lo < nx < hi):
                return x  # no double left between the ends
            step = x - nx
        elif abs(step) <= 1e-13 * abs(nx) or (
            newton and abs(step) <= 1e-3 * abs(prev) and abs(step) ** 3 <= 1e-15 * abs(nx) * prev * prev
        ):
            return nx
        prev, newton, x = step, not bisect, nx
    raise ModelError(f"root search did not converge in {maxiter} steps")


def design_matrix(yi, mods, intercept: bool = True, coef_names=None) -> tuple[np.ndarray, list[str]]:
    """The model matrix X (k x p) and its coefficient names from moderators.

    Parameters
    ----------
    yi : array, shape (k,)
        The effect sizes (only their number is used).
    mods : None, array (k,) or (k, m), a Series or a DataFrame
        Moderators; a DataFrame's column names (a named Series' name) become coefficient names.
    intercept : bool
        Add an intercept column named ``"intrcpt"`` (metafor's name).
    coef_names : list of str, optional
        Names of the moderator columns (with or without the intercept's).

    Returns
    -------
    X : array, shape (k, p)
    names : list of str
    """
    k = yi.shape[0]
    if mods is None:
        return np.ones((k, 1)), ["intrcpt"]
    if hasattr(mods, "columns"):  # a DataFrame, without importing pandas
        names = [str(c) for c in mods.columns]
        M = _numeric_mods(mods.to_numpy(), names)
    else:
        M = _numeric_mods(mods, None)
        if M.ndim == 1:
            M = M[:, None]
        if M.ndim != 2:
            raise InputError(
                f"mods: must be a vector or a matrix (k rows, one column per moderator); got {M.ndim} dimensions"
            )
        series_name = getattr(mods, "name", None) if M.shape[1] == 1 else None  # a named Series keeps its name
        names = (
            list(coef_names)
            if coef_names is not None
            else [str(series_name)]
            if series_name is not None
            else [f"x{i + 1}" for i in range(M.shape[1])]
        )
        if coef_names is not None and intercept and len(names) == M.shape[1] + 1:
            names = names[1:]
        if len(names) != M.shape[1]:
            raise InputError(f"coef_names: {len(names)} name(s) for {M.shape[1]} moderator column(s)")
    if M.shape[0] != k:
        raise InputError(f"mods has {M.shape[0]} rows but yi has {k} values (one row per effect size)")
    bad = ~np.isfinite(M)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            f"mods: missing or not finite value in row {r + 1}, column {c + 1} ({names[c]!r})"
            f"{f' and {int(bad.sum()) - 1} more' if bad.sum() > 1 else ''}"
        )
    if intercept:
        return np.column_stack([np.ones(k), M]), ["intrcpt"] + names
    return M, names


def _numeric_mods(mods, names) -> np.ndarray:
    """Moderators as floats, or an InputError naming the first text column."""
    try:
        return np.asarray(mods, dtype=float)
    except (TypeError, ValueError):
        pass
    obj = np.asarray(mods, dtype=object)
    obj2 = obj[:, None] if obj.ndim == 1 else obj
    for j in range(obj2.shape[1] if obj2.ndim == 2 else 0):
        for i, val in enumerate(obj2[:, j]):
            try:
                float(val)
            except (TypeError, ValueError):
                name = names[j] if names else f"column {j + 1}"
                raise InputError(
                    f"mods: must be numeric; {name} has {val!r} in row {i + 1} (code a text "
                    "moderator as 0/1 columns, one per level but the first)"
                ) from None
    raise InputError("mods: must be numeric (a vector or a k x m matrix)")


def _is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def factorize(values, what: str = "variable") -> np.ndarray:
    """Integer codes 0, 1, ... of the distinct values in order of first appearance (as
    ``pandas.factorize``), without pandas.

    Parameters
    ----------
    values : array_like, shape (k,)
        Labels (numbers or strings).
    what : str
        Name of the variable in the error message.

    Returns
    -------
    ndarray of int, shape (k,)

    Raises
    ------
    InputError
        When a value is missing (None or NaN), naming ``what``.
    """
    a = np.asarray(values)
    if a.ndim != 1:
        a = a.ravel()
    if a.dtype.kind == "f" and np.isnan(a).any():
        raise InputError(f"the {what} has missing values")
    if a.dtype.kind == "O" and any(_is_missing(x) for x in a):
        raise InputError(f"the {what} has missing values")
    try:
        _, first, inv = np.unique(a, return_index=True, return_inverse=True)
    except TypeError:  # values of mixed types that do not sort: hash them instead
        seen: dict = {}
        return np.fromiter((seen.setdefault(x, len(seen)) for x in a.tolist()), dtype=np.intp, count=a.size)
    rank = np.empty(first.size, dtype=np.intp)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[np.asarray(inv).ravel()]
