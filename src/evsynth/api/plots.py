"""metafor's plotting verbs for a fitted model (issue 26 item 3): ``forest``, ``funnel``,
``regplot``, ``baujat``, ``labbe``, ``radial``, ``plot_influence`` and ``gosh``.

Each draws on a matplotlib Axes (``ax=``; a new pyplot Figure when left out) and returns the
Figure; study labels come from ``slab`` (the fit's, or the data's as ``escalc`` kept
them).  The drawn artists carry labels (``"studies"``, ``"ci"``, ``"summary"``, ...) so
that a test or a user can find them.  The numbers drawn are the engine's (the fit's
``yi``, ``vi``, ``beta``, ``tau2``, its ``influence``/``rma`` refits); nothing here reads
files.  ``forest``, ``funnel`` and ``regplot`` draw with :mod:`evsynth.draw`, the functions
the report's figures are drawn with.  matplotlib is imported when a verb is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import stats

from evsynth.api.columns import column, engine_verb
from evsynth.errors import InputError

__all__ = ["forest", "funnel", "regplot", "baujat", "labbe", "radial", "plot_influence", "gosh", "GoshResult"]


def _axes(ax, figsize):
    """(Figure, Axes): the given Axes' or a new pyplot Figure (so that ``plt.show()``, notebooks
    and sphinx-gallery see it; close it with ``plt.close(fig)`` when drawing many)."""
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    return ax.figure, ax


def _fit_arrays(fit):
    if not hasattr(fit, "yi") or not hasattr(fit, "vi") or not hasattr(fit, "beta"):
        raise InputError(f"expected a fitted model (rma or rma_mv), got {type(fit).__name__}")
    return np.asarray(fit.yi, float), np.asarray(fit.vi, float)


def study_labels(fit, slab=None) -> list[str]:
    """Labels of the fit's studies: ``slab`` when given, the fit's ``slab``, the labels
    ``escalc`` kept in the data, else ``"Study 1"``, ``"Study 2"``, ..."""
    k = int(fit.k)
    for cand in (slab, getattr(fit, "slab", None)):
        if cand is not None:
            if isinstance(cand, str):
                data = getattr(fit, "data", None)
                if data is None or cand not in data.columns:
                    raise InputError(f"slab={cand!r} is not a column of the fit's data")
                cand = data[cand].to_numpy()
            labels = [str(s) for s in cand]
            if len(labels) != k:
                raise InputError(f"slab has {len(labels)} labels but the model has {k} studies")
            return labels
    data = getattr(fit, "data", None)
    if data is not None and data.attrs.get("slab") is not None and len(data.attrs["slab"]) == k:
        return [str(s) for s in data.attrs["slab"]]
    return [f"Study {i}" for i in range(1, k + 1)]


def _weights(fit) -> np.ndarray:
    """The fit's model weights (percent) for sizing points; inverse sampling variances when
    the model has none per study (a multilevel fit)."""
    w = fit.model_weights() if hasattr(fit, "model_weights") else None
    if w is None:
        w = 1 / np.asarray(fit.vi, float)
    w = np.asarray(w, float)
    return np.where(np.isfinite(w), w, 0.0)


def _tau2(fit) -> float:
    if getattr(fit, "multilevel", False):
        return float(np.sum(fit.sigma2))
    return float(getattr(fit, "tau2", 0.0) or 0.0)


def _z(level: float) -> float:
    level = float(level)
    if level < 1:
        level *= 100
    return float(stats.norm.ppf(1 - (1 - level / 100) / 2))


def forest(
    fit,
    *,
    ax=None,
    slab=None,
    transf=None,
    atransf=None,
    refline=0.0,
    xlab=None,
    digits: int = 2,
    annotate: bool = True,
    addfit: bool = True,
    level: float | None = None,
):
    """Forest plot of a fitted model (metafor's ``forest.rma``): per study the effect with
    its confidence interval (square sized by the model weight), the pooled estimate as a
    diamond (intercept-only models) or the fitted values (meta-regressions).

    Parameters
    ----------
    fit : RMAResult or RMAMVResult
        The fitted model.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure when left out.
    slab : str or list of str, optional
        Study labels (default: the fit's or the data's).
    transf : callable, optional
        Drawn on the transformed scale, e.g. ``numpy.exp`` for ratios.
    atransf : callable, optional
        Drawn on the model's scale, the axis labels and annotations transformed (metafor's
        ``atransf``; ``numpy.exp``: a log axis labelled in ratios).
    refline : float or None
        Vertical reference line (on the untransformed scale; ``None``: none).
    xlab : str, optional
        Axis label.
    digits : int
        Decimals of the annotations.
    annotate : bool
        Write "estimate [lower, upper]" at the right.
    addfit : bool
        Draw the pooled estimate / fitted values.
    level : float, optional
        Confidence level of the study intervals (default: the fit's).

    Returns
    -------
    matplotlib.figure.Figure
        Artists labelled ``"studies"`` (points), ``"ci"`` (one line per study),
        ``"summary"`` (the diamond) or ``"fitted"``.

    References
    ----------
    Lewis, S., & Clarke, M. (2001). Forest plots: trying to see the wood and the trees.
    BMJ, 322(7300), 1479-1480.

    Examples
    --------
    >>> import numpy as np
    >>> from evsynth import forest, rma
    >>> fit = rma(np.array([0.1, 0.5, 0.3]), np.array([0.02, 0.03, 0.05]), slab=["A", "B", "C"])
    >>> fig = forest(fit)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['A', 'B', 'C', 'RE Model']
    """
    import evsynth.draw as draw

    yi, vi = _fit_arrays(fit)
    k = yi.size
    labels = study_labels(fit, slab)
    z = _z(level if level is not None else fit.level)
    lo, hi = yi - z * np.sqrt(vi), yi + z * np.sqrt(vi)
    if transf is not None and atransf is not None:
        raise InputError("forest: give transf= or atransf=, not both")
    w = _weights(fit)
    rows = [draw.Row("study", labels[i], yi[i], lo[i], hi[i], w[i]) for i in range(k)]
    beta = np.asarray(fit.beta, float)
    summary = addfit and fit.p == 1 and getattr(fit, "intercept_only", True)
    if summary:
        kind = "EE Model" if fit.method in ("EE", "FE") else "RE Model"
        rows += [draw.Row("blank"), draw.Row("summary", kind, beta[0], fit.ci_lb[0], fit.ci_ub[0], main=True)]
    fitted = np.asarray(fit.X, float) @ beta if addfit and not summary else None
    fig, ax = _axes(ax, (7.5, 1.2 + 0.3 * (k + 2)))
    draw.forest(
        ax,
        rows,
        transf=transf,
        show=atransf,
        digits=digits,
        refline=refline,
        annotate=annotate,
        fitted=fitted,
        fontsize=8,
    )
    if atransf is not None:
        from matplotlib.ticker import FixedLocator, FuncFormatter

        if atransf is np.exp:  # ticks at round ratios on the log axis
            lo_x, hi_x = ax.get_xlim()
            nice = np.array([0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50, 100])
            inside = np.log(nice[(np.log(nice) >= lo_x) & (np.log(nice) <= hi_x)])
            if inside.size >= 3:
                ax.xaxis.set_major_locator(FixedLocator(inside))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{float(atransf(v)):.{digits}f}"))
    plain = transf is None and atransf is None
    ax.set_xlabel(xlab if xlab is not None else ("Observed Outcome" if plain else "Transformed Outcome"))
    return fig


def funnel(
    fit,
    *,
    ax=None,
    contours=None,
    level: float | None = None,
    refline=None,
    xlab=None,
    shade=("white", "0.55", "0.75"),
    back="0.9",
):
    """Funnel plot (metafor's ``funnel``): each study's effect (x) against its standard
    error (y, inverted), with the pseudo confidence region ``estimate +- z * se``; for a
    meta-regression the residuals around 0 against their standard errors (as metafor).

    Parameters
    ----------
    fit : RMAResult or RMAMVResult
        The fitted model.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    contours : list of float, optional
        Contour-enhanced funnel (Peters et al. 2008): significance regions around 0 at these
        levels, e.g. ``[90, 95, 99]`` (drawn as shaded bands labelled ``"contour 95"``...).
    level : float, optional
        Level of the pseudo confidence region (default: the fit's).
    refline : float, optional
        Centre of the funnel (default: the pooled estimate; 0 for residuals).
    xlab : str, optional
        Axis label.
    shade : tuple of colours
        Colours of the contour bands, innermost (not significant) first (metafor's default).
    back : colour
        Colour outside the largest contour (significant at every level).

    Returns
    -------
    matplotlib.figure.Figure
        Artists labelled ``"studies"`` (the points), ``"region"`` (the two pseudo-CI lines)
        and ``"refline"``.

    References
    ----------
    Sterne, J. A. C., & Egger, M. (2001). Funnel plots for detecting bias in meta-analysis.
    Journal of Clinical Epidemiology, 54(10), 1046-1055.
    Peters, J. L., et al. (2008). Contour-enhanced meta-analysis funnel plots help distinguish
    publication bias from other causes of asymmetry. Journal of Clinical Epidemiology, 61(10), 991-996.
    """
    yi, vi = _fit_arrays(fit)
    sei = np.sqrt(vi)
    regression = fit.p > 1 or not getattr(fit, "intercept_only", True)
    if regression:  # metafor: the residuals against their standard errors (rstandard's se)
        X = np.asarray(fit.X, float)
        x = yi - X @ np.asarray(fit.beta, float)
        vb = np.asarray(fit.vb, float) / float(getattr(fit, "s2w", 1.0) or 1.0)  # (X' M^-1 X)^-1
        sei = np.sqrt(np.maximum(vi + _tau2(fit) - np.einsum("ij,jk,ik->i", X, vb, X), 0.0))
        centre = 0.0 if refline is None else float(refline)
    else:
        x = yi
        centre = float(fit.beta[0]) if refline is None else float(refline)
    import evsynth.draw as draw

    fig, ax = _axes(ax, (6, 5))
    bands = []
    if contours:
        levels = sorted(float(c) * (100 if float(c) < 1 else 1) for c in contours)
        bands = [
            draw.Contour(_z(lev), shade[min(j, len(shade) - 1)] if len(shade) else "0.8", f"contour {lev:g}")
            for j, lev in enumerate(levels)
        ]
    draw.funnel(
        ax,
        x,
        sei,
        centre=centre,
        z=_z(level if level is not None else fit.level),
        contours=bands,
        outside=back if contours else None,
        point_size=36,
    )
    ax.set_ylabel("Standard Error")
    ax.set_xlabel(xlab if xlab is not None else ("Residual Value" if regression else "Observed Outcome"))
    return fig


def _mod_position(fit, mod) -> int:
    """0-based column of the model matrix that ``mod`` names (a coefficient name, or metafor's
    1-based position in the model matrix)."""
    names = list(getattr(fit, "coef_names", []) or [f"X{j + 1}" for j in range(fit.p)])
    has_int = bool(names) and names[0] == "intrcpt"
    if mod is None:
        if fit.p - has_int != 1:
            raise InputError(f"regplot: the model has {fit.p - has_int} moderators ({', '.join(names)}): give mod=")
        return int(has_int)
    if isinstance(mod, str):
        if mod not in names:
            raise InputError(f"regplot: mod={mod!r} is not a coefficient of the model ({', '.join(names)})")
        pos = names.index(mod)
    elif isinstance(mod, (int, np.integer)) and not isinstance(mod, bool) and 1 <= int(mod) <= fit.p:
        pos = int(mod) - 1
    else:
        raise InputError(f"regplot: mod must be a coefficient name or a position 1..{fit.p}, got {mod!r}")
    if has_int and pos == 0:
        raise InputError("regplot: mod names the intercept; give a moderator")
    return pos


def regplot(
    fit, mod=None, *, ax=None, pi: bool = False, level: float | None = None, xlab=None, ylab=None, plim=(0.5, 3)
):
    """Bubble plot of a meta-regression (metafor's ``regplot``): the observed effects against
    a moderator, each point's area by its weight, the regression line over the moderator's
    range (the other moderators at their means) with its confidence band (and, with ``pi``,
    the prediction band).

    Parameters
    ----------
    fit : RMAResult
        A univariate fit with at least one moderator.
    mod : str or int, optional
        The moderator on the x axis: a coefficient name (``"ablat"``) or metafor's 1-based
        position in the model matrix; needed when the model has several.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    pi : bool
        Draw the prediction band too.
    level : float, optional
        Level of the bands (default: the fit's).
    xlab, ylab : str, optional
        Axis labels (default: the moderator's name, "Observed Outcome").
    plim : tuple of float
        metafor's ``plim``: the relative point sizes range from ``plim[0]`` to ``plim[1]``,
        linear in the square root of the weights.

    Returns
    -------
    matplotlib.figure.Figure
        Artists labelled ``"studies"``, ``"pred"``, ``"ci"`` (and ``"pi"``); ``fig.regplot``
        holds what metafor's ``regplot`` returns and draws: ``xi``, ``yi``, ``psize``,
        ``pred`` (the fitted values at ``xi``) and the line ``xs``, ``line``, ``ci_lb``,
        ``ci_ub``, ``pi_lb``, ``pi_ub`` (1,000 points over the range of ``xi`` widened by 4 %).

    References
    ----------
    Thompson, S. G., & Higgins, J. P. T. (2002). How should meta-regression analyses be
    undertaken and interpreted? Statistics in Medicine, 21(11), 1559-1573.
    """
    import evsynth.draw as draw

    if getattr(fit, "multilevel", False):
        raise InputError("regplot draws univariate (rma) fits")
    yi, _vi = _fit_arrays(fit)
    pos = _mod_position(fit, mod)
    X = np.asarray(fit.X, float)
    has_int = (getattr(fit, "coef_names", None) or [""])[0] == "intrcpt"
    xi = X[:, pos]
    lo_x, hi_x = float(xi.min()), float(xi.max())
    xs = np.linspace(lo_x - 0.04 * (hi_x - lo_x), hi_x + 0.04 * (hi_x - lo_x), 1000)
    verb = engine_verb("predict")

    def at(values):
        new = np.repeat(X.mean(axis=0)[None, :], values.size, axis=0)
        new[:, pos] = values
        return verb(fit, newmods=new[:, 1:] if has_int else new, level=level if level is not None else fit.level)

    line, fitted = at(xs), at(xi)
    w = np.sqrt(np.asarray(fit.model_weights(), float))
    rng = float(np.nanmax(w) - np.nanmin(w))
    psize = (w - np.nanmin(w)) / rng * (plim[1] - plim[0]) + plim[0] if rng > 0 else np.ones_like(w)
    fig, ax = _axes(ax, (6.5, 5))
    draw.regplot(
        ax,
        xi,
        yi,
        psize**2,
        xs,
        line.pred,
        line.ci_lb,
        line.ci_ub,
        pi_lb=line.pi_lb if pi else None,
        pi_ub=line.pi_ub if pi else None,
        refline=None,
    )
    names = getattr(fit, "coef_names", None)
    ax.set_xlabel(xlab if xlab is not None else (names[pos] if names else f"X{pos + 1}"))
    ax.set_ylabel(ylab if ylab is not None else "Observed Outcome")
    fig.regplot = {
        "xi": xi,
        "yi": yi,
        "psize": psize,
        "pred": np.asarray(fitted.pred, float),
        "xs": xs,
        "line": np.asarray(line.pred, float),
        "ci_lb": np.asarray(line.ci_lb, float),
        "ci_ub": np.asarray(line.ci_ub, float),
        "pi_lb": np.asarray(line.pi_lb, float),
        "pi_ub": np.asarray(line.pi_ub, float),
    }
    return fig


def _refit_without(fit, i: int):
    """beta and vb of the fit without study i (tau^2 re-estimated), by the engine's rma."""
    yi, vi = _fit_arrays(fit)
    keep = np.arange(yi.size) != i
    X = np.asarray(fit.X, float)[keep]
    ref = engine_verb("rma")(yi[keep], vi[keep], X, intercept=False, method=fit.method, test=fit.test, compute_r2=False)
    return np.asarray(ref.beta, float), np.asarray(ref.vb, float)


def baujat(fit, *, ax=None, slab=None, annotate: bool = True):
    """Baujat plot (metafor's ``baujat``): each study's contribution to the heterogeneity
    statistic (x: squared residual over ``vi + tau2``) against its influence on the fitted
    value (y: squared change of the fitted value when the study is left out, over that
    prediction's variance).

    Parameters
    ----------
    fit : RMAResult
        A univariate fit.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    slab : list of str, optional
        Labels written at the points.
    annotate : bool
        Write the labels.

    Returns
    -------
    matplotlib.figure.Figure
        The points are labelled ``"studies"``; ``fig.baujat`` holds ``x``, ``y`` and
        ``slab``.

    References
    ----------
    Baujat, B., Mahé, C., Pignon, J.-P., & Hill, C. (2002). A graphical method for exploring
    heterogeneity in meta-analyses: application to a meta-analysis of 65 trials. Statistics
    in Medicine, 21(18), 2641-2652.
    """
    if getattr(fit, "multilevel", False):
        raise InputError("baujat draws univariate (rma) fits")
    yi, vi = _fit_arrays(fit)
    X = np.asarray(fit.X, float)
    beta = np.asarray(fit.beta, float)
    full = X @ beta
    xs = (yi - full) ** 2 / (vi + _tau2(fit))
    ys = np.empty(yi.size)
    for i in range(yi.size):
        b, vb = _refit_without(fit, i)
        ys[i] = (X[i] @ b - full[i]) ** 2 / (X[i] @ vb @ X[i])
    labels = study_labels(fit, slab)
    fig, ax = _axes(ax, (6, 5))
    ax.scatter(xs, ys, color="black", label="studies")
    if annotate:
        for x, y, s in zip(xs, ys, labels):
            ax.annotate(s, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("Contribution to Overall Heterogeneity")
    ax.set_ylabel("Influence on Overall Result")
    fig.baujat = {"x": xs, "y": ys, "slab": labels}
    return fig


_LABBE_SCALES = {
    "RR": ("log", "Log Risk"),
    "OR": ("logit", "Log Odds"),
    "RD": ("raw", "Risk"),
    "AS": ("arcsin", "Arcsine Transformed Risk"),
    "PETO": ("logit", "Log Odds"),
}


def labbe(fit, *, ax=None, ai=None, bi=None, ci=None, di=None, measure=None, transf=None):
    """L'Abbé plot (metafor's ``labbe``) of 2x2 data: the outcome of the control group
    (x) against that of the treatment group (y) on the measure's scale (log risk for RR,
    log odds for OR, risk for RD), points sized by the model weight, with the line of no
    effect and the line of the pooled effect.

    Parameters
    ----------
    fit : RMAResult
        An intercept-only fit of RR, OR or RD effect sizes.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    ai, bi, ci, di : str or array_like, optional
        The 2x2 cells (default: the columns ``escalc`` used, kept with the fit's data).
    measure : str, optional
        RR, OR, RD, AS or PETO (default: the data's).
    transf : callable, optional
        Draw on a transformed scale (e.g. ``numpy.exp`` for risks from log risks).

    Returns
    -------
    matplotlib.figure.Figure
        Points labelled ``"studies"``, lines ``"no effect"`` and ``"estimate"``.

    References
    ----------
    L'Abbé, K. A., Detsky, A. S., & O'Rourke, K. (1987). Meta-analysis in clinical research.
    Annals of Internal Medicine, 107(2), 224-233.
    """
    data = getattr(fit, "data", None)
    cells = data.attrs.get("escalc_args", {}) if data is not None else {}
    measure = measure or (data.attrs.get("measure") if data is not None else None)
    if measure not in _LABBE_SCALES:
        raise InputError(
            f"labbe draws 2x2 measures ({', '.join(_LABBE_SCALES)}); measure is {measure!r} (give measure=)"
        )

    vals = {}
    for name, given in (("ai", ai), ("bi", bi), ("ci", ci), ("di", di)):
        src = given if given is not None else cells.get(name)
        if src is None:
            raise InputError(f"labbe needs the 2x2 cell {name} (give {name}=, or fit the escalc data)")
        vals[name] = column(src, name, data, k=fit.k)
    a, b, c, d = (vals[n] for n in ("ai", "bi", "ci", "di"))
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    if measure in ("RR", "OR", "PETO") and zero.any():
        a, b, c, d = (np.where(zero, x + 0.5, x) for x in (a, b, c, d))
    p1, p2 = a / (a + b), c / (c + d)
    scale, name = _LABBE_SCALES[measure]
    f = {
        "log": np.log,
        "logit": lambda p: np.log(p / (1 - p)),
        "raw": lambda p: p,
        "arcsin": lambda p: np.arcsin(np.sqrt(p)),
    }[scale]
    x, y = f(p2), f(p1)
    tf = transf if transf is not None else (lambda v: v)
    fig, ax = _axes(ax, (5.5, 5.5))
    w = _weights(fit)
    ax.scatter(tf(x), tf(y), s=20 + 200 * w / w.max(), facecolor="none", edgecolor="black", label="studies")
    lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
    grid = np.linspace(lo, hi, 100)
    ax.plot(tf(grid), tf(grid), color="black", lw=0.8, label="no effect")
    ax.plot(tf(grid), tf(grid + float(fit.beta[0])), color="black", lw=0.8, ls="--", label="estimate")
    ax.set_xlabel(f"{name} (Group 2)")
    ax.set_ylabel(f"{name} (Group 1)")
    return fig


def radial(fit, *, ax=None, slab=None, level: float | None = None):
    """Radial (Galbraith) plot (metafor's ``radial``): ``x = 1 / sqrt(vi + tau2)`` against
    the standardised effect ``y = yi / sqrt(vi + tau2)``; the line through the origin with
    slope equal to the pooled estimate and the band ``+- z`` around it.

    Parameters
    ----------
    fit : RMAResult
        An intercept-only univariate fit.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    slab : list of str, optional
        Unused labels kept for the other verbs' signature (labels are not written).
    level : float, optional
        Level of the band (default: the fit's).

    Returns
    -------
    matplotlib.figure.Figure
        Points ``"studies"``, line ``"estimate"``, band lines ``"band"``.

    References
    ----------
    Galbraith, R. F. (1988). A note on graphical presentation of estimated odds ratios from
    several clinical trials. Statistics in Medicine, 7(8), 889-894.
    """
    if fit.p != 1 or getattr(fit, "multilevel", False):
        raise InputError("radial draws intercept-only univariate (rma) fits")
    yi, vi = _fit_arrays(fit)
    s = np.sqrt(vi + _tau2(fit))
    x, y = 1 / s, yi / s
    z = _z(level if level is not None else fit.level)
    beta = float(fit.beta[0])
    fig, ax = _axes(ax, (6, 5))
    grid = np.array([0.0, float(x.max()) * 1.05])
    ax.plot(grid, beta * grid, color="black", lw=0.8, label="estimate")
    ax.plot(grid, beta * grid + z, color="black", lw=0.8, ls=":", label="band")
    ax.plot(grid, beta * grid - z, color="black", lw=0.8, ls=":", label="_band")
    ax.scatter(x, y, color="black", zorder=3, label="studies")
    ax.set_xlabel("x = 1 / sqrt(vi + tau2)" if fit.method not in ("EE", "FE") else "x = 1 / sqrt(vi)")
    ax.set_ylabel("y = yi / sqrt(vi + tau2)" if fit.method not in ("EE", "FE") else "y = yi / sqrt(vi)")
    return fig


_INFL_PANELS = (
    ("rstudent", "rstudent"),
    ("dffits", "dffits"),
    ("cooks_distance", "cook.d"),
    ("cov_ratio", "cov.r"),
    ("tau2_del", "tau2.del"),
    ("QE_del", "QE.del"),
    ("hat", "hat"),
    ("weight", "weight"),
)


def plot_influence(fit_or_influence, *, ax=None, fig=None):
    """The eight panels of metafor's ``plot(influence(fit))``: rstudent, dffits, cook.d,
    cov.r, tau2.del, QE.del, hat, weight by study, influential studies in red.

    Parameters
    ----------
    fit_or_influence : RMAResult or InfluenceResult
        A fit (its ``influence`` is computed) or the engine's influence result.
    ax : sequence of 8 matplotlib Axes, optional
        Where to draw the eight panels (in metafor's order).
    fig : matplotlib.figure.Figure, optional
        Where to draw (a 4 x 2 grid of axes is added); a new Figure when neither is given.

    Returns
    -------
    matplotlib.figure.Figure
        Eight Axes titled by metafor's names; each has one line labelled ``"values"``.

    References
    ----------
    Viechtbauer, W., & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for
    meta-analysis. Research Synthesis Methods, 1(2), 112-125.
    """
    inf = fit_or_influence
    if not hasattr(inf, "cooks_distance"):
        inf = engine_verb("influence")(fit_or_influence)
    if ax is not None:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) != len(_INFL_PANELS):
            raise InputError(f"plot_influence: ax= takes {len(_INFL_PANELS)} Axes (one per panel), got {len(axes)}")
        fig = axes[0].figure
    else:
        if fig is None:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=(9, 9), layout="constrained")
        axes = fig.subplots(4, 2).ravel()
    infl = np.asarray(inf.influential, bool)
    for ax, (field, title) in zip(axes, _INFL_PANELS):
        vals = np.asarray(getattr(inf, field), float)
        idx = np.arange(1, vals.size + 1)
        ax.plot(idx, vals, color="black", marker="o", ms=3, lw=0.8, label="values")
        if infl.any():
            ax.scatter(idx[infl], vals[infl], color="red", zorder=3, label="influential")
        ax.set_title(title, fontsize=9)
        ax.set_xticks(idx)
        ax.tick_params(labelsize=7)
    return fig


@dataclass(eq=False)
class GoshResult:
    """All-subsets fits (metafor's ``gosh``): per subset the pooled ``estimate``, ``I2``,
    ``tau2``, ``k`` and the 0-based rows it includes (``incl``, one boolean row per subset)."""

    estimate: np.ndarray
    I2: np.ndarray
    tau2: np.ndarray
    k: np.ndarray
    incl: np.ndarray

    def plot(self, *, ax=None):
        """Scatter of I^2 (x) against the estimate (y) over the subsets; returns the Figure
        (points labelled ``"subsets"``)."""
        fig, ax = _axes(ax, (6, 5))
        ax.scatter(self.I2, self.estimate, s=6, color="black", alpha=0.5, label="subsets")
        ax.set_xlabel("I^2")
        ax.set_ylabel("Estimate")
        return fig

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"k": self.k, "estimate": self.estimate, "I2": self.I2, "tau2": self.tau2})


def gosh(fit, *, max_k: int = 15, subsets=None):
    """GOSH (graphical display of study heterogeneity; metafor's ``gosh``): the model refitted
    to every subset of the studies (2^k - 1 fits; one-study subsets give the study's effect
    and I^2 = 0), or to given ``subsets``.

    Parameters
    ----------
    fit : RMAResult
        An intercept-only univariate fit.
    max_k : int
        The largest k for which every subset is fitted (2^15 - 1 = 32,767 fits).
    subsets : list of list of int, optional
        0-based rows of each subset to fit, in place of all subsets.

    Returns
    -------
    GoshResult
        ``estimate``, ``I2``, ``tau2``, ``k``, ``incl``; ``plot(ax=)`` returns the Figure.

    References
    ----------
    Olkin, I., Dahabreh, I. J., & Trikalinos, T. A. (2012). GOSH - a graphical display of
    study heterogeneity. Research Synthesis Methods, 3(3), 214-223.
    """
    if fit.p != 1 or getattr(fit, "multilevel", False):
        raise InputError("gosh refits intercept-only univariate (rma) fits")
    yi, vi = _fit_arrays(fit)
    k = yi.size
    if subsets is None:
        if k > max_k:
            raise InputError(
                f"gosh: k = {k} gives {2**k - 1} subsets; above max_k = {max_k} pass subsets= "
                f"(e.g. a random sample of row sets)"
            )
        # metafor's order: by size, within a size by the last row, then the one before, ...
        subsets = [c for r in range(1, k + 1) for c in sorted(combinations(range(k), r), key=lambda c: c[::-1])]
    verb = engine_verb("rma")
    est, i2, t2, kk = [], [], [], []
    incl = np.zeros((len(subsets), k), dtype=bool)
    for j, rows in enumerate(subsets):
        rows = np.asarray(rows, int)
        if rows.size == 0 or rows.min() < 0 or rows.max() >= k:
            raise InputError(f"gosh: subset {j + 1} must hold row numbers 0..{k - 1}")
        incl[j, rows] = True
        if rows.size == 1:
            est.append(float(yi[rows[0]]))
            i2.append(0.0)
            t2.append(0.0)
        else:
            f = verb(yi[rows], vi[rows], method=fit.method, test=fit.test, compute_r2=False)
            est.append(float(f.beta[0]))
            i2.append(float(f.I2))
            t2.append(float(getattr(f, "tau2", 0.0)))
        kk.append(rows.size)
    return GoshResult(estimate=np.array(est), I2=np.array(i2), tau2=np.array(t2), k=np.array(kk), incl=incl)
