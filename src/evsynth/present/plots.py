"""The figures of one analysis as the report shows them: forest pages, the contour-enhanced
funnel, bubble plots of meta-regressions and the specification curve; the study figures
(risk of bias, PRISMA, gap map, ...) are in :mod:`evsynth.present.studyplots` (re-exported).

The forest, funnel and bubble plots are drawn by :mod:`evsynth.draw`, the drawing functions
the plotting verbs use too; this module lays out the report's page (size, title, notes) and
gives the texts in the report's language (:mod:`evsynth.present.i18n`: Dutch labels and a
decimal comma in the Dutch edition).  Every function takes data read from the result tables
and returns a matplotlib Figure; nothing is written here (:func:`evsynth.present.style.save`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

import evsynth.draw as draw
from evsynth.draw.axes import wrap as _wrap
from evsynth.present import style
from evsynth.present.i18n import N_, _, number
from evsynth.present.studyplots import (  # noqa: F401  (the study figures, re-exported)
    NOT_REPORTED,
    effect_direction_plot,
    empty_figure,
    evidence_gap_map,
    prisma_diagram,
    quality_histogram,
    rob_summary,
    rob_traffic_light,
)

style.apply()

__all__ = [
    "forest_plot",
    "forest_pages",
    "forest_rows",
    "direction_label",
    "funnel_plot",
    "bubble_plot",
    "add_predictions",
    "decimal_mark",
    "rob_traffic_light",
    "rob_summary",
    "quality_histogram",
    "prisma_diagram",
    "evidence_gap_map",
    "specification_curve",
    "effect_direction_plot",
]

MAX_FOREST_ROWS = 40  # rows per page of a forest plot; longer forests are split (see forest_pages)

NO_NAMES_NOTE = N_("The source dataset gives no study names: rows carry the dataset's study numbers.")

# the page of a forest: the axes' place on the figure, the columns left and right of it (figure fractions)
_AX_LEFT, _AX_WIDTH, _LABEL_AT, _ESTIMATE_AT, _WEIGHT_AT = 0.34, 0.40, 0.01, 0.76, 0.95


def decimal_mark() -> str:
    """The decimal mark of the report's current language ('.' or ',')."""
    return number(1.5, 1)[1]


def _lvl(level: float) -> str:
    """A confidence level as written in a label: '95', '97.5' ('97,5' in Dutch)."""
    return f"{float(level):g}".replace(".", decimal_mark())


def direction_label(base: str, interpretation: str = "improvement", *, ratio: bool = False) -> str:
    """Axis label saying what a direction means on the scale drawn: 'above 1' on a ratio
    axis, 'positive' otherwise (e.g. 'Odds ratio (log scale; above 1 = improvement)')."""
    meaning = {"improvement": "improvement", "risk": "higher risk", "association": "positive association"}.get(
        interpretation, interpretation
    )
    if ratio:
        return f"{base} (log scale; above 1 = {meaning}, below 1 = the opposite)"
    return f"{base} (positive = {meaning})"


def _unnamed(labels) -> bool:
    """True when every label is a bare number or 'number / effect n' (no study names)."""
    labs = [str(x) for x in labels]
    return bool(labs) and all(re.fullmatch(r"\d+(\.0)?( / effect \d+)?", x) for x in labs)


def forest_rows(
    studies: pd.DataFrame, pooled: dict, level: float, subgroups=None, *, with_studies: bool = True
) -> list[draw.Row]:
    """The rows of a forest (:class:`evsynth.draw.Row`) from the forest table's columns (label,
    yi, ci_lb, ci_ub, weight, study, group) and the pooled result (``pooled``: estimate, ci_lb,
    ci_ub, pi_lb, pi_ub, label; ``subgroups``: one such dict per group, with ``group``).
    Without ``with_studies`` only the pooled results (the forest beyond its declared limit).
    One pass over the table."""
    rows: list[draw.Row] = []
    if with_studies and len(studies):
        labels = studies["label"].astype(str).to_list()
        keys = (
            studies["study"].astype(str).to_list()
            if "study" in studies
            else [lab.split(" / effect ")[0] for lab in labels]
        )
        weight = (
            pd.to_numeric(studies["weight"], errors="coerce").to_numpy(float)
            if "weight" in studies
            else np.full(len(labels), np.nan)
        )
        cols = [studies[c].to_numpy(float) for c in ("yi", "ci_lb", "ci_ub")]
        study = [draw.Row("study", *r) for r in zip(labels, *cols, weight, keys)]
    else:
        study = []
    if subgroups:
        by: dict[str, list] = {}
        if study:
            for g, r in zip(studies["group"].astype(str), study):
                by.setdefault(g, []).append(r)
        for sg in subgroups:
            if with_studies:  # (without the studies the diamond's label says it all)
                rows.append(draw.Row("header", str(sg["label"])))
            rows += by.get(str(sg["group"]), [])
            rows.append(draw.Row("summary", str(sg["label"]), sg["estimate"], sg["ci_lb"], sg["ci_ub"]))
            rows.append(draw.Row("blank"))
    else:
        rows += study
        rows.append(draw.Row("blank"))
    rows.append(
        draw.Row(
            "summary",
            pooled["label"] if "label" in pooled else _("Pooled"),
            pooled["estimate"],
            pooled["ci_lb"],
            pooled["ci_ub"],
            main=True,
        )
    )
    pi_lb = pooled.get("pi_lb")
    if pi_lb is not None and np.isfinite(float(pi_lb)):
        label = _("{}% prediction interval").format(_lvl(level))
        rows.append(draw.Row("pi", label, np.nan, float(pi_lb), float(pooled["pi_ub"])))
    return rows


def forest_plot(studies: pd.DataFrame, pooled: dict, **kw) -> plt.Figure:
    """A forest plot on one figure (:func:`forest_pages` with no page limit)."""
    return forest_pages(studies, pooled, max_rows=10**9, **kw)[0]


def forest_pages(
    studies: pd.DataFrame,
    pooled: dict,
    *,
    title: str,
    xlabel: str,
    level: float = 95.0,
    back=None,
    log_axis: bool = False,
    subgroups: list[dict] | None = None,
    between: str | None = None,
    ref: float = 0.0,
    note: str | None = None,
    max_rows: int = MAX_FOREST_ROWS,
    with_studies: bool = True,
) -> list[plt.Figure]:
    """A forest plot split over pages of at most ``max_rows`` rows (one figure per page),
    so that long forests (e.g. 100 effect sizes) keep a readable type size.  ``studies`` has
    label, yi, ci_lb, ci_ub, weight (%) and optionally study and group; ``pooled`` has
    estimate, ci_lb, ci_ub, pi_lb, pi_ub, label.  ``back`` transforms the numbers written
    (e.g. ``np.exp`` for ratios, shown on a log axis).  ``subgroups`` gives a pooled dict
    per group (blocks with their own diamonds) and ``between`` the text of the between-group
    test (under the last page).  Pages break between studies where a study's rows fit on one
    page (rows sharing a ``study``, or labelled 'study / effect n'); every page has the same
    x axis; the pooled diamond and the prediction interval are on the last page; titles say
    'page i of n'.  The weight column is drawn only when weights are given; a note under the
    plot says when the source has no study names (or gives ``note``).  Each page costs time
    in proportion to its rows (the whole table is read once)."""
    rows = forest_rows(studies, pooled, level, subgroups, with_studies=with_studies)
    w = pd.to_numeric(studies["weight"], errors="coerce") if "weight" in studies and with_studies else pd.Series([])
    has_weights = bool(w.notna().any())
    wmax = float(np.nanmax(w)) if has_weights else 1.0
    if note is None and with_studies and "label" in studies and _unnamed(studies["label"]):
        note = _(NO_NAMES_NOTE)
    pages = draw.paginate(rows, max_rows, continued=_("(continued)"))
    xr = draw.x_range(rows, ref)
    n = len(pages)
    return [
        _forest_page(
            pg,
            title=title if n == 1 else _("{} (page {} of {})").format(title, i, n),
            xlabel=xlabel,
            level=level,
            back=back,
            log_axis=log_axis,
            foot=[t for t in ((between if i == n else None), note) if t],
            ref=ref,
            xrange=xr,
            wmax=wmax,
            has_weights=has_weights,
        )
        for i, pg in enumerate(pages, 1)
    ]


def _forest_page(rows, *, title, xlabel, level, back, log_axis, foot, ref, xrange, wmax, has_weights) -> plt.Figure:
    """One page: the figure sized to its rows, the forest drawn by :func:`evsynth.draw.forest`."""
    n = len(rows)
    height = max(3.0, style.ROW_HEIGHT * (n + 4) + 0.2 * len(foot))
    fig = plt.figure(figsize=(style.FIG_WIDTH, height))
    bottom = (0.6 + 0.2 * len(foot)) / height + 0.02
    ax = fig.add_axes([_AX_LEFT, bottom, _AX_WIDTH, 1 - (1.0 + 0.2 * len(foot)) / height - bottom + 0.02])
    at = lambda x: (x - _AX_LEFT) / _AX_WIDTH  # noqa: E731  (figure fraction -> axes fraction)
    draw.forest(
        ax,
        rows,
        show=back,
        decimal=decimal_mark(),
        refline=ref,
        xlim=xrange,
        ratio_axis=log_axis,
        annot_x=at(_ESTIMATE_AT),
        weight_x=at(_WEIGHT_AT) if has_weights else None,
        wmax=wmax,
        header=(_("Study"), _("Estimate [{}% CI]").format(_lvl(level)), _("Weight")),
        label_x=at(_LABEL_AT),
        label_width=48,
        colour=style.STUDY,
        summary_colour=style.POOLED,
    )
    ax.set_xlabel(xlabel)
    draw.decimal_axis(ax.xaxis, decimal_mark())
    fig.suptitle(title, x=0.01, ha="left", y=1 - 0.08 / height * 2, fontsize=style.TITLE_SIZE, weight="bold")
    for j, t in enumerate(reversed(foot)):
        fig.text(0.01, (0.12 + 0.2 * j) / height, t, fontsize=style.FONT_SIZE - 1, style="italic")
    return fig


FUNNEL_MIN_K = 10  # fewer studies: no funnel plot (Sterne et al., 2011, BMJ 343:d4002)

FUNNEL_TOO_FEW = N_(
    "No funnel plot: {k} studies; a funnel plot and tests of its asymmetry need at least "
    "10 studies to distinguish chance from small-study effects (Sterne et al., 2011)."
)

_GREYS = ["#e3e3e3", "#b8b8b8", "#8c8c8c", "#6e6e6e"]


def funnel_plot(
    yi,
    vi,
    estimate: float,
    contours: pd.DataFrame,
    *,
    title: str,
    xlabel: str,
    filled_yi=None,
    filled_vi=None,
    back=None,
    log_axis: bool = False,
) -> plt.Figure:
    """Contour-enhanced funnel plot (Peters et al., 2008), drawn by :func:`evsynth.draw.funnel`:
    shaded regions where a study would be significant (two-sided, around zero); the dotted
    pseudo-confidence region around the pooled estimate; filled studies from trim-and-fill
    as open circles.  ``contours`` (columns p and z, the two-sided critical value, from
    the results table) gives the significance contours.  The legend sits outside the
    data.  Draw it only from :data:`FUNNEL_MIN_K` studies (the caller checks;
    :data:`FUNNEL_TOO_FEW` says why not)."""
    yi, sei = np.asarray(yi, float), np.sqrt(np.asarray(vi, float))
    fse = np.sqrt(np.asarray(filled_vi, float)) if filled_vi is not None and len(filled_vi) else np.empty(0)
    fig, ax = plt.subplots(figsize=(8.2, 5))
    smax = float(max(sei.max(), fse.max() if fse.size else 0)) * 1.1
    c = contours.sort_values("p", ascending=False)
    ps, zs = [float(v) for v in c["p"]], [float(v) for v in c["z"]]
    p = lambda v: number(v, 2)  # noqa: E731
    # the region inside contour i is not significant at p[i]: white inside the smallest, darker outwards
    bands = [
        draw.Contour(
            zc,
            "white" if i == 0 else _GREYS[min(i - 1, len(_GREYS) - 1)],
            f"contour {1 - a:.0%}",
            f"p ≥ {p(a)}" if i == 0 else f"{p(a)} ≤ p < {p(ps[i - 1])}",
        )
        for i, (a, zc) in enumerate(zip(ps, zs))
    ]
    xmax = max(np.abs(yi).max(), max(zs) * smax) * 1.05
    z05 = zs[int(np.argmin([abs(a - 0.05) for a in ps]))]  # pseudo-confidence region at the .05 contour
    draw.funnel(
        ax,
        yi,
        sei,
        centre=estimate,
        z=z05,
        contours=bands,
        outside=_GREYS[min(len(ps) - 1, len(_GREYS) - 1)],
        outside_legend=f"p < {p(ps[-1])}",
        filled_x=filled_yi,
        filled_se=fse,
        ymax=smax,
        xlim=(-xmax, xmax),
        colour=style.STUDY,
        line_colour=style.POOLED,
        texts={
            "region": _("95% pseudo-confidence region"),
            "centre": _("pooled estimate"),
            "studies": _("studies"),
            "filled": _("filled in by trim-and-fill"),
            "title": _("Significance of a study\n(two-sided, against 0)"),
        },
        legend=True,
    )
    ax.set_ylabel(_("Standard error"))
    ax.set_xlabel(xlabel)
    if log_axis:
        draw.ratio_ticks(ax, -xmax, xmax, decimal_mark())
    for axis in (ax.xaxis, ax.yaxis):
        draw.decimal_axis(axis, decimal_mark())
    ax.set_title(_wrap(title, 70), loc="left", weight="bold")
    return fig


def bubble_plot(
    x, yi, weights, line_x, fit, ci_lb, ci_ub, *, title: str, xlabel: str, ylabel: str, level: float = 95.0
) -> plt.Figure:
    """Effect versus a numeric moderator (:func:`evsynth.draw.regplot`), bubble area
    proportional to the weight, with the fitted meta-regression line and its confidence
    band; title wrapped to the plot's width, legend outside the data."""
    fig, ax = plt.subplots(figsize=(8.2, 4.5))
    draw.regplot(
        ax,
        x,
        yi,
        weights,
        line_x,
        fit,
        ci_lb,
        ci_ub,
        texts={
            "ci": _("{}% CI of the fit").format(_lvl(level)),
            "line": _("meta-regression"),
            "studies": _("studies (area = weight)"),
            "refline": _("no effect"),
        },
        legend=True,
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_wrap(ylabel, 45))
    for axis in (ax.xaxis, ax.yaxis):
        draw.decimal_axis(axis, decimal_mark())
    ax.set_title(_wrap(title, 58), loc="left", weight="bold")
    return fig


def add_predictions(fig: plt.Figure, x, pred, ci_lb, ci_ub, *, level: float = 95.0) -> plt.Figure:
    """Mark predicted average effects at stated moderator values (the ``predictions``
    table) on a :func:`bubble_plot`: a diamond at each value with its confidence interval
    as an error bar; the legend is redrawn to include them."""
    label = _("predicted at stated values ({}% CI)").format(_lvl(level))
    draw.mark_predictions(fig.axes[0], x, pred, ci_lb, ci_ub, label=label)
    return fig


def specification_curve(
    table: pd.DataFrame,
    dims: list[tuple[str, list]],
    summary: pd.Series,
    *,
    title: str,
    ylabel: str,
    level: float = 95.0,
) -> plt.Figure:
    """Specification curve (Simonsohn, Simmons & Nelson, 2020): every fitted specification's
    estimate with its CI, in the order of the table's ``rank`` column (above; blue where the
    table's ``ci_excludes_zero`` is 1), and the choice it makes in every dimension (below, one
    row per choice).  ``table`` is the multiverse table, ``summary`` the row of its summary
    table (median and counts); ``dims`` gives (dimension, choices) in the table's columns."""
    t = table[table["rank"].notna()].sort_values("rank")
    n = len(t)
    if n == 0:
        return empty_figure(title, _("no specification could be fitted"))
    rows = [(d, str(c)) for d, cs in dims if len(cs) > 1 for c in cs]
    height = 3.2 + 0.2 * max(len(rows), 1)
    fig, (ax, axc) = plt.subplots(
        2,
        1,
        figsize=(style.FIG_WIDTH, height),
        sharex=True,
        gridspec_kw={"height_ratios": [3.2, 0.2 * max(len(rows), 1)], "hspace": 0.05},
    )
    x = np.arange(1, n + 1)
    excl = t["ci_excludes_zero"].to_numpy() == 1
    colours = np.where(excl, style.PALETTE["blue"], style.PALETTE["grey"])
    ax.vlines(x, t["ci_lb"], t["ci_ub"], colors=colours, linewidth=0.8, alpha=0.8)
    ax.scatter(x, t["estimate"], c=colours, s=10, zorder=3)
    ax.axhline(0, color=style.PALETTE["black"], linewidth=0.6)
    med = float(summary["median_estimate"])
    ax.axhline(med, color=style.PALETTE["vermillion"], linewidth=0.8, linestyle="--")
    ax.text(
        0.01,
        0.97,
        _("median {} (dashed); {} of {} CIs ({}%) exclude 0 (blue)").format(
            number(med, 2), int(summary["n_ci_excludes_zero"]), int(summary["n_fitted"]), _lvl(level)
        ),
        transform=ax.transAxes,
        va="top",
        fontsize=style.FONT_SIZE - 1,
    )
    # very wide intervals (e.g. Knapp-Hartung with k = 2) would flatten the curve: the axis
    # spans the estimates and the central 90% of the interval bounds, and says so if it clips
    bounds = np.concatenate([t["ci_lb"].to_numpy(float), t["ci_ub"].to_numpy(float)])
    lo = min(float(t["estimate"].min()), float(np.nanpercentile(bounds, 5)), 0.0)
    hi = max(float(t["estimate"].max()), float(np.nanpercentile(bounds, 95)), 0.0)
    pad = 0.05 * (hi - lo or 1.0)
    if np.nanmin(bounds) < lo - pad or np.nanmax(bounds) > hi + pad:
        ax.set_ylim(lo - pad, hi + pad)
        ax.text(
            0.99,
            0.97,
            _("axis clipped: some CIs extend beyond it"),
            transform=ax.transAxes,
            va="top",
            ha="right",
            fontsize=style.FONT_SIZE - 1,
        )
    ax.set_ylabel(_wrap(ylabel, 30))
    ax.set_title(title)
    draw.decimal_axis(ax.yaxis, decimal_mark())
    for j, (d, c) in enumerate(rows):
        on = (t[d].astype(str) == c).to_numpy()
        axc.scatter(x[on], np.full(on.sum(), j), marker="|", s=40, color=style.PALETTE["black"])
    axc.set_yticks(range(len(rows)))
    axc.set_yticklabels([f"{d}: {c}" for d, c in rows])
    axc.set_ylim(len(rows) - 0.5, -0.5)
    axc.set_xlabel(_("specification (sorted by estimate)"))
    axc.set_xlim(0.5, n + 0.5)
    return fig
