"""The bubble plot of a meta-regression (metafor's ``regplot``): the effects against a
moderator, each bubble's area proportional to the study's weight, the fitted line with its
confidence band (and, optionally, the prediction band), and predictions marked at stated
values -- from plain numbers onto one Axes.  The plotting verb :func:`evsynth.regplot` and
the report's bubble plots both draw with :func:`regplot`."""

from __future__ import annotations

import numpy as np

from evsynth.draw import style
from evsynth.draw.funnels import RASTERIZE_ABOVE

__all__ = ["regplot", "mark_predictions", "bubble_sizes"]


def bubble_sizes(weights) -> np.ndarray:
    """Marker areas (points²) of the bubbles: 20 plus up to 600 in proportion to the weight."""
    w = np.asarray(weights, float)
    w = np.where(np.isfinite(w), w, 0.0)
    top = w.max() if w.size and w.max() > 0 else 1.0
    return 20 + 600 * w / top


SIZE_CLASSES = 16  # above RASTERIZE_ABOVE points, bubble areas are rounded to this many sizes


def _bubbles(ax, x, y, sizes):
    """The bubbles, one scatter; above :data:`RASTERIZE_ABOVE` points their areas are scaled
    down (still proportional to the weights: together they cover as much of the plot as
    :data:`RASTERIZE_ABOVE` bubbles do; drawing time grows with the area drawn) and rounded
    to :data:`SIZE_CLASSES` sizes, one scatter per size (largest first: matplotlib draws points
    of one size as one marker, about ten times faster than points of many sizes) and
    rasterised in vector output.  Returns the first scatter (for the legend)."""
    kw = dict(color=style.STUDY, alpha=0.55, edgecolors="white", lw=0.5)
    if x.size <= RASTERIZE_ABOVE:
        return ax.scatter(x, y, s=sizes, label="studies", **kw)
    sizes = sizes * (RASTERIZE_ABOVE / x.size)  # the same share of the plot covered as by RASTERIZE_ABOVE bubbles
    levels = np.linspace(sizes.min(), sizes.max(), SIZE_CLASSES)
    cls = np.clip(np.searchsorted((levels[1:] + levels[:-1]) / 2, sizes), 0, SIZE_CLASSES - 1)
    first = None
    for j in np.unique(cls)[::-1]:
        on = cls == j
        sc = ax.scatter(
            x[on], y[on], s=levels[j], label="studies" if first is None else "_studies", rasterized=True, **kw
        )
        first = first or sc
    return first


def regplot(
    ax,
    x,
    yi,
    weights,
    line_x,
    pred,
    ci_lb,
    ci_ub,
    *,
    pi_lb=None,
    pi_ub=None,
    refline: float | None = 0.0,
    texts: dict | None = None,
    legend: bool = False,
):
    """Draw the bubbles ``(x, yi)`` sized by ``weights``, the fitted line ``(line_x, pred)``
    with its confidence band ``ci_lb``-``ci_ub`` (and the prediction band ``pi_lb``-``pi_ub``
    when given) and a dashed line at ``refline``.  ``texts`` gives the legend entries
    (``"ci"``, ``"pi"``, ``"line"``, ``"studies"``, ``"refline"``), drawn outside the axes with
    ``legend``.  Above :data:`RASTERIZE_ABOVE` points, see :func:`_bubbles`.  Returns ``ax``;
    artists labelled (in ``ax.get_children()``) ``"studies"``, ``"pred"``, ``"ci"``, ``"pi"``,
    ``"refline"``."""
    t = {
        "ci": "confidence band",
        "pi": "prediction band",
        "line": "meta-regression",
        "studies": "studies (area = weight)",
        "refline": "no effect",
        **(texts or {}),
    }
    x = np.asarray(x, float)
    if pi_lb is not None:
        ax.plot(line_x, pi_lb, color=style.POOLED, lw=0.8, ls=":", label="pi")
        ax.plot(line_x, pi_ub, color=style.POOLED, lw=0.8, ls=":", label="_pi")
    band = ax.fill_between(line_x, ci_lb, ci_ub, color=style.PALETTE["sky"], alpha=0.35, lw=0, label="ci")
    line = ax.plot(line_x, pred, color=style.POOLED, lw=1.4, label="pred")[0]
    pts = _bubbles(ax, x, np.asarray(yi, float), bubble_sizes(weights))
    ref = (
        ax.axhline(refline, color=style.PALETTE["grey"], lw=0.8, ls="--", label="refline")
        if refline is not None
        else None
    )
    if legend:
        handles = [band, line, pts] + ([ref] if ref is not None else [])
        names = [t["ci"], t["line"], t["studies"]] + ([t["refline"]] if ref is not None else [])
        if pi_lb is not None:
            handles.insert(1, ax.get_lines()[0])
            names.insert(1, t["pi"])
        ax.legend_entries = (handles, names)  # mark_predictions adds to them
        _legend(ax, handles, names)
    return ax


def _legend(ax, handles, names):
    leg = ax.legend(
        handles,
        names,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        frameon=False,
        fontsize=style.FONT_SIZE - 1,
        handlelength=2.4,
    )
    for h in leg.legend_handles:  # equal-sized bubble in the legend
        if hasattr(h, "set_sizes"):
            h.set_sizes([40])
    return leg


def mark_predictions(ax, x, pred, ci_lb, ci_ub, *, label: str, legend: bool = True):
    """Predicted average effects at stated moderator values: a diamond at each value with its
    confidence interval as an error bar (artist label ``"predictions"`` in the legend as
    ``label``); the legend outside the axes is redrawn to include them."""
    pred, lo, hi = (np.asarray(a, float) for a in (pred, ci_lb, ci_ub))
    ax.errorbar(
        np.asarray(x, float),
        pred,
        yerr=[pred - lo, hi - pred],
        fmt="D",
        ms=6,
        color=style.PREDICTION,
        ecolor=style.PREDICTION,
        elinewidth=1.4,
        capsize=4,
        zorder=5,
        label=label,
    )
    if legend:
        handles, names = getattr(ax, "legend_entries", ([], []))
        ax.legend_entries = (handles + [ax.containers[-1]], names + [label])
        _legend(ax, *ax.legend_entries)
    return ax
