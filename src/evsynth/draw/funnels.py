"""The funnel plot: each study's effect (x) against its standard error (y, inverted), the
pseudo-confidence region around a centre, optional significance contours (Peters et al.,
2008) and studies filled in by trim-and-fill -- from plain numbers onto one Axes.  The
plotting verb :func:`evsynth.funnel` and the report's funnel both draw with :func:`funnel`."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon

from evsynth.draw import style

__all__ = ["Contour", "funnel", "RASTERIZE_ABOVE"]

RASTERIZE_ABOVE = 5000  # points: above this many, the points are a picture inside an SVG (its size stays small)


class Contour(NamedTuple):
    """The region where a study is *not* significant at the level whose two-sided critical
    value is ``z`` (``|x| < z * se`` around 0), filled with ``colour``; ``label`` names the
    drawn patch (``"contour 95"``) and ``legend`` is its legend entry (or ``None``)."""

    z: float
    colour: str
    label: str
    legend: str | None = None


def funnel(
    ax,
    x,
    se,
    *,
    centre: float,
    z: float,
    contours: Sequence[Contour] = (),
    outside: str | None = None,
    outside_legend: str | None = None,
    filled_x=None,
    filled_se=None,
    ymax: float | None = None,
    xlim: tuple[float, float] | None = None,
    colour: str = "black",
    line_colour: str = "black",
    point_size: float | None = None,
    texts: dict | None = None,
    legend: bool = False,
):
    """Draw a funnel on ``ax``: the points ``(x, se)``, the pseudo-confidence region
    ``centre -+ z * se`` (two dotted lines) and a vertical line at ``centre``; the y axis
    (standard error) runs from ``ymax`` (default 1.05 times the largest) down to 0 at the top.

    ``contours`` (:class:`Contour`) are drawn widest first, each inner one over it, on the
    colour ``outside`` (significant at every level); trim-and-fill's filled studies
    ``(filled_x, filled_se)`` are open circles.  With ``legend``, a legend outside the axes
    whose entries are the contours' ``legend`` texts and ``texts``: ``"region"``,
    ``"centre"``, ``"studies"``, ``"filled"``, ``"title"``.  Above :data:`RASTERIZE_ABOVE`
    points the points are smaller (down to a tenth of the area) and rasterised in vector output.  Returns ``ax``; artists labelled
    ``"studies"``, ``"region"`` (two lines), ``"refline"``, ``"filled"``, ``"contour ..."``."""
    texts = texts or {}
    x, se = np.asarray(x, float), np.asarray(se, float)
    many = x.size > RASTERIZE_ABOVE
    fse = np.asarray(filled_se, float) if filled_se is not None and len(filled_se) else np.empty(0)
    if ymax is None:
        ymax = float(max(se.max(), fse.max() if fse.size else 0)) * 1.05
    grid = np.linspace(0, ymax, 100)
    handles = []
    if outside is not None:
        ax.set_facecolor(outside)
    for c in sorted(contours, key=lambda c: -c.z):  # the widest band first, the inner ones over it
        ax.add_patch(
            Polygon(
                np.column_stack([np.r_[-c.z * grid, c.z * grid[::-1]], np.r_[grid, grid[::-1]]]),
                closed=True,
                facecolor=c.colour,
                edgecolor="none",
                zorder=0,
                label=c.label,
            )
        )
    for c in sorted(contours, key=lambda c: c.z):  # the legend: not significant first
        if c.legend:
            handles.append(Patch(facecolor=c.colour, edgecolor="#555555", lw=0.6, label=c.legend))
    if outside_legend and outside is not None:
        handles.append(Patch(facecolor=outside, edgecolor="#555555", lw=0.6, label=outside_legend))
    ax.plot(centre - z * grid, grid, color=line_colour, lw=1.0, ls=":", label="region")
    ax.plot(centre + z * grid, grid, color=line_colour, lw=1.0, ls=":", label="_region")
    ax.axvline(centre, color=line_colour, lw=1, label="refline")
    size = (point_size or 22) * (max(RASTERIZE_ABOVE / x.size, 0.1) if many else 1.0)  # smaller dots when many
    ax.scatter(x, se, s=size, color=colour, zorder=3, label="studies", rasterized=many)
    handles += [
        Line2D([], [], color=line_colour, lw=1.0, ls=":", label=texts.get("region", "pseudo-confidence region")),
        Line2D([], [], color=line_colour, lw=1.0, label=texts.get("centre", "estimate")),
        Line2D([], [], ls="none", marker="o", ms=5, color=colour, label=texts.get("studies", "studies")),
    ]
    if fse.size:
        ax.scatter(
            np.asarray(filled_x, float),
            fse,
            s=26,
            facecolors="white",
            edgecolors=style.PALETTE["vermillion"],
            zorder=3,
            label="filled",
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                ms=5,
                mfc="white",
                mec=style.PALETTE["vermillion"],
                label=texts.get("filled", "filled in by trim-and-fill"),
            )
        )
    ax.set_ylim(ymax, 0)
    if xlim is not None:
        ax.set_xlim(*xlim)
    if legend:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            frameon=False,
            fontsize=style.FONT_SIZE - 1,
            handlelength=2.6,
            title=texts.get("title"),
            title_fontsize=style.FONT_SIZE - 1,
        )
    return ax
