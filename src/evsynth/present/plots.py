"""Figures: forest, funnel and bubble plots, risk-of-bias plots for the 11-item form,
the PRISMA 2020 flow diagram and the evidence gap map.

Every function takes data and returns a matplotlib Figure; nothing is written here
(:mod:`evsynth.present.style` saves them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle

from evsynth.present import style

style.apply()

__all__ = [
    "forest_plot",
    "forest_pages",
    "direction_label",
    "funnel_plot",
    "bubble_plot",
    "rob_traffic_light",
    "rob_summary",
    "quality_histogram",
    "prisma_diagram",
    "evidence_gap_map",
    "specification_curve",
]


def _fmt(x: float, back) -> str:
    return f"{back(x):.2f}"


MAX_FOREST_ROWS = 40  # rows per page of a forest plot; longer forests are split (see forest_pages)

NO_NAMES_NOTE = "The source dataset gives no study names: rows carry the dataset's study numbers."


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
    import re

    labs = [str(x) for x in labels]
    return bool(labs) and all(re.fullmatch(r"\d+(\.0)?( / effect \d+)?", x) for x in labs)


def _forest_rows(studies: pd.DataFrame, pooled: dict, level: float, subgroups) -> list[tuple]:
    d = studies.copy()
    d["lo"], d["hi"] = d["ci_lb"], d["ci_ub"]  # intervals as the results table gives them
    rows: list[tuple] = []  # (kind, payload)
    if subgroups:
        for sg in subgroups:
            rows.append(("header", sg["label"]))
            for _, r in d[d["group"].astype(str) == str(sg["group"])].iterrows():
                rows.append(("study", r))
            rows.append(("diamond", sg))
            rows.append(("blank", None))
    else:
        for _, r in d.iterrows():
            rows.append(("study", r))
        rows.append(("blank", None))
    rows.append(("diamond", pooled))
    if pooled.get("pi_lb") is not None and np.isfinite(pooled.get("pi_lb", np.nan)):
        rows.append(("pi", pooled))
    return rows


def forest_plot(
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
) -> plt.Figure:
    """Forest plot on one figure.  ``studies`` has label, yi, vi, weight (%) and optionally
    group; ``pooled`` has estimate, ci_lb, ci_ub, pi_lb, pi_ub, label.  ``back`` transforms
    the axis labels (e.g. ``np.exp`` for ratios, shown on a log axis).  ``subgroups`` gives
    a pooled dict per group (blocks with their own diamonds) and ``between`` the text of
    the between-group test.  The weight column is drawn only when weights are given; a
    note under the plot says when the source has no study names (or gives ``note``).
    Forests longer than :data:`MAX_FOREST_ROWS` rows: :func:`forest_pages`."""
    rows = _forest_rows(studies, pooled, level, subgroups)
    return _draw_forest(
        rows,
        studies,
        pooled,
        title=title,
        xlabel=xlabel,
        level=level,
        back=back,
        log_axis=log_axis,
        between=between,
        ref=ref,
        note=note,
    )


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
) -> list[plt.Figure]:
    """A forest plot split over pages of at most ``max_rows`` rows (one figure per page),
    so that long forests (e.g. 100 effect sizes) keep a readable type size.  Pages break
    between studies where a study's rows fit on one page (rows labelled 'study / effect n'
    or sharing a ``study`` column); every page has the same x axis; the pooled diamond and
    the prediction interval are on the last page; titles say 'page i of n'."""
    rows = _forest_rows(studies, pooled, level, subgroups)
    if len(rows) <= max_rows:
        return [
            _draw_forest(
                rows,
                studies,
                pooled,
                title=title,
                xlabel=xlabel,
                level=level,
                back=back,
                log_axis=log_axis,
                between=between,
                ref=ref,
                note=note,
            )
        ]

    def key(row):
        kind, p = row
        if kind != "study":
            return None
        if "study" in p.index:
            return str(p["study"])
        return str(p["label"]).split(" / effect ")[0]

    # blocks that should stay on one page: the rows of one study; the closing rows (blank,
    # pooled diamond, prediction interval); a subgroup header with its first row
    blocks: list[list[tuple]] = []
    for row in rows:
        k = key(row)
        if blocks and k is not None and key(blocks[-1][-1]) == k:
            blocks[-1].append(row)
        elif blocks and (
            blocks[-1][-1][0] == "header" or row[0] in ("pi",) or (row[0] == "diamond" and _is_last_diamond(row, rows))
        ):
            blocks[-1].append(row)
        else:
            blocks.append([row])

    def pack(limit: int) -> list[list[tuple]]:
        out: list[list[tuple]] = [[]]
        for blk in blocks:
            if out[-1] and len(out[-1]) + len(blk) > limit:
                out.append([])
            for r in blk:  # a block longer than a page is split
                if len(out[-1]) >= limit:
                    out.append([])
                out[-1].append(r)
        return out

    import math

    n_min = math.ceil(len(rows) / max_rows)
    pages = pack(max_rows)
    for limit in range(math.ceil(len(rows) / n_min), max_rows + 1):  # balanced pages, fewest possible
        pages = pack(limit)
        if len(pages) <= n_min:
            break
    # a page that starts inside a subgroup repeats the subgroup's header
    open_header = None
    for pg in pages:
        if open_header is not None and pg and pg[0][0] == "study":
            pg.insert(0, ("header", f"{open_header} (continued)"))
        for kind, payload in pg:
            if kind == "header":
                open_header = str(payload).removesuffix(" (continued)")
            elif kind == "diamond":
                open_header = None
    # shared x range over all pages
    xr = _x_range(rows, ref)
    n = len(pages)
    return [
        _draw_forest(
            pg,
            studies,
            pooled,
            title=f"{title} (page {i} of {n})",
            xlabel=xlabel,
            level=level,
            back=back,
            log_axis=log_axis,
            between=between if i == n else None,
            ref=ref,
            note=note,
            xrange=xr,
        )
        for i, pg in enumerate(pages, 1)
    ]


def _is_last_diamond(row, rows) -> bool:
    """True for the overall pooled diamond (the last diamond row)."""
    return row is [r for r in rows if r[0] == "diamond"][-1]


def _x_range(rows, ref):
    xs = [ref]
    for kind, p in rows:
        if kind == "study":
            xs += [p["lo"], p["hi"]]
        elif kind == "diamond":
            xs += [p["ci_lb"], p["ci_ub"]]
        elif kind == "pi":
            xs += [p["pi_lb"], p["pi_ub"]]
    lo, hi = float(np.nanmin(xs)), float(np.nanmax(xs))
    pad = 0.05 * (hi - lo if hi > lo else 1)
    return lo - pad, hi + pad


def _draw_forest(
    rows, studies, pooled, *, title, xlabel, level, back, log_axis, between, ref, note, xrange=None
) -> plt.Figure:
    back = back or (lambda x: x)
    has_weights = "weight" in studies and pd.to_numeric(studies["weight"], errors="coerce").notna().any()
    if note is None and "label" in studies and _unnamed(studies["label"]):
        note = NO_NAMES_NOTE
    foot = [t for t in (between, note) if t]
    n = len(rows)
    height = max(3.0, style.ROW_HEIGHT * (n + 4) + 0.2 * len(foot))
    fig = plt.figure(figsize=(style.FIG_WIDTH, height))
    bottom = (0.6 + 0.2 * len(foot)) / height + 0.02
    ax = fig.add_axes([0.34, bottom, 0.40, 1 - (1.0 + 0.2 * len(foot)) / height - bottom + 0.02])
    ax.set_ylim(n, -1.5)
    wmax = float(np.nanmax(pd.to_numeric(studies["weight"], errors="coerce"))) if has_weights else 1.0
    est_x = 0.76
    for i, (kind, p) in enumerate(rows):
        if kind == "study":
            w = float(p.get("weight", np.nan)) if has_weights else np.nan
            size = 4 + 10 * np.sqrt(w / wmax) if np.isfinite(w) else 5
            ax.plot([p["lo"], p["hi"]], [i, i], color=style.STUDY, lw=0.9)
            ax.plot(p["yi"], i, marker="s", ms=size, color=style.STUDY, mec="none")
            fig.text(
                0.01,
                _ycoord(ax, i),
                _wrap_one(str(p["label"]), 48),
                va="center",
                ha="left",
                fontsize=style.FONT_SIZE - 1,
            )
            fig.text(
                est_x,
                _ycoord(ax, i),
                f"{_fmt(p['yi'], back)} [{_fmt(p['lo'], back)}, {_fmt(p['hi'], back)}]",
                va="center",
                fontsize=style.FONT_SIZE - 1,
                family="DejaVu Sans Mono",
            )
            if np.isfinite(w):
                fig.text(
                    0.95,
                    _ycoord(ax, i),
                    f"{w:.1f}%",
                    va="center",
                    ha="right",
                    fontsize=style.FONT_SIZE - 1,
                    family="DejaVu Sans Mono",
                )
        elif kind == "header":
            fig.text(0.01, _ycoord(ax, i), str(p), va="center", ha="left", fontsize=style.FONT_SIZE, weight="bold")
        elif kind == "diamond":
            est, lo, hi = p["estimate"], p["ci_lb"], p["ci_ub"]
            poly = Polygon(
                [[lo, i], [est, i - 0.4], [hi, i], [est, i + 0.4]],
                closed=True,
                color=style.POOLED if p is pooled else style.PALETTE["grey"],
            )
            ax.add_patch(poly)
            fig.text(
                0.01,
                _ycoord(ax, i),
                p.get("label", "Pooled"),
                va="center",
                ha="left",
                fontsize=style.FONT_SIZE - (0 if p is pooled else 1),
                weight="bold" if p is pooled else "normal",
            )
            fig.text(
                est_x,
                _ycoord(ax, i),
                f"{_fmt(est, back)} [{_fmt(lo, back)}, {_fmt(hi, back)}]",
                va="center",
                fontsize=style.FONT_SIZE - 1,
                weight="bold" if p is pooled else "normal",
                family="DejaVu Sans Mono",
            )
        elif kind == "pi":  # the prediction interval on its own row, below the pooled row
            ax.plot([p["pi_lb"], p["pi_ub"]], [i, i], color=style.PREDICTION, lw=1.6)
            for x in (p["pi_lb"], p["pi_ub"]):
                ax.plot([x, x], [i - 0.2, i + 0.2], color=style.PREDICTION, lw=1.6)
            fig.text(
                0.01,
                _ycoord(ax, i),
                f"{level:g}% prediction interval",
                va="center",
                ha="left",
                fontsize=style.FONT_SIZE - 1,
                color=style.PREDICTION,
            )
            fig.text(
                est_x,
                _ycoord(ax, i),
                f"[{_fmt(p['pi_lb'], back)}, {_fmt(p['pi_ub'], back)}]",
                va="center",
                fontsize=style.FONT_SIZE - 1,
                color=style.PREDICTION,
                family="DejaVu Sans Mono",
            )
    ax.axvline(ref, color=style.PALETTE["grey"], lw=0.8, ls="--")
    lo, hi = xrange if xrange is not None else _x_range(rows, ref)
    ax.set_xlim(lo, hi)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(xlabel)
    if log_axis:
        _ratio_ticks(ax, lo, hi)
    top = _ycoord(ax, -1.2)
    fig.text(0.01, top, "Study", weight="bold", fontsize=style.FONT_SIZE)
    fig.text(est_x, top, f"Estimate [{level:g}% CI]", weight="bold", fontsize=style.FONT_SIZE)
    if has_weights:
        fig.text(0.95, top, "Weight", weight="bold", ha="right", fontsize=style.FONT_SIZE)
    fig.suptitle(title, x=0.01, ha="left", y=1 - 0.08 / height * 2, fontsize=style.TITLE_SIZE, weight="bold")
    for j, t in enumerate(reversed(foot)):
        fig.text(0.01, (0.12 + 0.2 * j) / height, t, fontsize=style.FONT_SIZE - 1, style="italic")
    return fig


def _wrap_one(text: str, width: int) -> str:
    """Shorten a label to ``width`` characters at a word boundary, marking the cut with an ellipsis."""
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > width // 2 else text[: width - 1]) + "…"


def _ratio_ticks(ax, lo: float, hi: float) -> None:
    """Ticks at round ratios (..., 0.25, 0.5, 1, 2, 4, ...) on a log-scale axis."""
    cands = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 4, 5, 10, 20, 50, 100])
    logs = np.log(cands)
    keep = (logs >= lo) & (logs <= hi)
    if keep.sum() > 7:
        keep &= np.isin(cands, [0.01, 0.1, 0.25, 0.5, 1, 2, 4, 10, 100])
    ax.set_xticks(logs[keep])
    ax.set_xticklabels([f"{c:g}" for c in cands[keep]])
    ax.set_xlim(lo, hi)


def _ycoord(ax, yval: float) -> float:
    """Figure y coordinate of data y (for text in the margins)."""
    y0, y1 = ax.get_ylim()
    pos = ax.get_position()
    frac = (yval - y0) / (y1 - y0)
    return pos.y0 + frac * pos.height


FUNNEL_MIN_K = 10  # fewer studies: no funnel plot (Sterne et al., 2011, BMJ 343:d4002)

FUNNEL_TOO_FEW = (
    "No funnel plot: {k} studies; a funnel plot and tests of its asymmetry need at least "
    "10 studies to distinguish chance from small-study effects (Sterne et al., 2011)."
)


def _legend_outside(ax, **kw):
    """Legend to the right of the axes, outside the data area."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False, **kw)


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
    """Contour-enhanced funnel plot (Peters et al., 2008): shaded regions where a study
    would be significant (two-sided, around zero); the dotted
    pseudo-confidence region around the pooled estimate; filled studies from trim-and-fill
    as open circles.  ``contours`` (columns p and z, the two-sided critical value, from
    the results table) gives the significance contours.  The legend sits outside the
    data.  Draw it only from
    :data:`FUNNEL_MIN_K` studies (the caller checks; :data:`FUNNEL_TOO_FEW` says why not)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    yi, sei = np.asarray(yi, float), np.sqrt(np.asarray(vi, float))
    fig, ax = plt.subplots(figsize=(8.2, 5))
    smax = float(max(sei.max(), np.sqrt(np.max(filled_vi)) if filled_vi is not None and len(filled_vi) else 0)) * 1.1
    s = np.linspace(0, smax, 100)
    c = contours.sort_values("p", ascending=False)
    ps, zs = [float(v) for v in c["p"]], [float(v) for v in c["z"]]
    greys = ["#e3e3e3", "#b8b8b8", "#8c8c8c", "#6e6e6e"]
    xmax = max(np.abs(yi).max(), max(zs) * smax) * 1.05
    ax.fill_betweenx(s, -xmax, xmax, color="white")
    handles = [Patch(facecolor="white", edgecolor="#555555", lw=0.6, label=f"p ≥ {ps[0]:.2f}")]
    for i, (a, zc) in enumerate(zip(ps, zs)):
        col = greys[min(i, len(greys) - 1)]
        ax.fill_betweenx(s, zc * s, xmax, color=col, lw=0)
        ax.fill_betweenx(s, -xmax, -zc * s, color=col, lw=0)
        lab = f"{ps[i + 1]:.2f} ≤ p < {a:.2f}" if i + 1 < len(ps) else f"p < {a:.2f}"
        handles.append(Patch(facecolor=col, edgecolor="#555555", lw=0.6, label=lab))
    z05 = zs[int(np.argmin([abs(a - 0.05) for a in ps]))]  # pseudo-confidence region at the .05 contour
    ax.plot(estimate - z05 * s, s, color=style.POOLED, lw=1.0, ls=":")
    ax.plot(estimate + z05 * s, s, color=style.POOLED, lw=1.0, ls=":")
    ax.axvline(estimate, color=style.POOLED, lw=1)
    ax.scatter(yi, sei, s=22, color=style.STUDY, zorder=3)
    handles += [
        Line2D([], [], color=style.POOLED, lw=1.0, ls=":", label="95% pseudo-confidence region"),
        Line2D([], [], color=style.POOLED, lw=1.0, label="pooled estimate"),
        Line2D([], [], ls="none", marker="o", ms=5, color=style.STUDY, label="studies"),
    ]
    if filled_yi is not None and len(filled_yi):
        ax.scatter(
            filled_yi, np.sqrt(filled_vi), s=26, facecolors="white", edgecolors=style.PALETTE["vermillion"], zorder=3
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
                label="filled in by trim-and-fill",
            )
        )
    ax.set_ylim(smax, 0)
    ax.set_xlim(-xmax, xmax)
    ax.set_ylabel("Standard error")
    ax.set_xlabel(xlabel)
    if log_axis:
        _ratio_ticks(ax, -xmax, xmax)
    ax.set_title(_wrap(title, 70), loc="left", weight="bold")
    _legend_outside(
        ax,
        handles=handles,
        fontsize=style.FONT_SIZE - 1,
        handlelength=2.6,
        title="Significance of a study\n(two-sided, against 0)",
        title_fontsize=style.FONT_SIZE - 1,
    )
    return fig


def bubble_plot(
    x, yi, weights, line_x, fit, ci_lb, ci_ub, *, title: str, xlabel: str, ylabel: str, level: float = 95.0
) -> plt.Figure:
    """Effect versus a numeric moderator, bubble area proportional to the weight, with
    the fitted meta-regression line and its confidence band; title wrapped to the plot's
    width, legend outside the data."""
    fig, ax = plt.subplots(figsize=(8.2, 4.5))
    w = np.asarray(weights, float)
    ax.fill_between(
        line_x, ci_lb, ci_ub, color=style.PALETTE["sky"], alpha=0.35, lw=0, label=f"{level:g}% CI of the fit"
    )
    ax.plot(line_x, fit, color=style.POOLED, lw=1.4, label="meta-regression")
    ax.scatter(
        x,
        yi,
        s=20 + 600 * w / w.max(),
        color=style.STUDY,
        alpha=0.55,
        edgecolors="white",
        lw=0.5,
        label="studies (area = weight)",
    )
    ax.axhline(0, color=style.PALETTE["grey"], lw=0.8, ls="--", label="no effect")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_wrap(ylabel, 45))
    ax.set_title(_wrap(title, 58), loc="left", weight="bold")
    leg = _legend_outside(ax, fontsize=style.FONT_SIZE - 1, handlelength=2.4)
    for h in leg.legend_handles:  # equal-sized bubble in the legend
        if hasattr(h, "set_sizes"):
            h.set_sizes([40])
    return fig


def add_predictions(fig: plt.Figure, x, pred, ci_lb, ci_ub, *, level: float = 95.0) -> plt.Figure:
    """Mark predicted average effects at stated moderator values (the ``predictions``
    table) on a :func:`bubble_plot`: a diamond at each value with its confidence interval
    as an error bar; the legend is redrawn to include them."""
    ax = fig.axes[0]
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
        label=f"predicted at stated values ({level:g}% CI)",
    )
    leg = _legend_outside(ax, fontsize=style.FONT_SIZE - 1, handlelength=2.4)
    for h in leg.legend_handles:
        if hasattr(h, "set_sizes"):
            h.set_sizes([40])
    return fig


def _empty(title: str, message: str, size=(7, 3)) -> plt.Figure:
    fig, ax = plt.subplots(figsize=size)
    ax.axis("off")
    ax.set_title(title, loc="left", weight="bold")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=style.FONT_SIZE + 1)
    return fig


def rob_traffic_light(assess: pd.DataFrame, items=tuple("ABCDEFGHIJK")) -> plt.Figure:
    """Study x item grid of judgements (consensus where present)."""
    title = "Quality items per study (11-item form, Bijlage 1)"
    if assess.empty:
        return _empty(
            title,
            "No item-level judgements have been entered yet.\n"
            "Holwerda et al. (2014) publish totals only (see the histogram of totals by design).",
        )
    use = (
        assess[assess.rater == "consensus"]
        if (assess.rater == "consensus").any()
        else assess[assess.rater == sorted(assess.rater.unique())[0]]
    )
    studies = sorted(use.study_id.unique())
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.28 * len(studies) + 1.2)))
    for i, s in enumerate(studies):
        for j, it in enumerate(items):
            v = use[(use.study_id == s) & (use["item"] == it)]["judgement"]
            col = style.JUDGEMENT_COLOURS.get(v.iloc[0], "white") if len(v) else "white"
            ax.add_patch(Rectangle((j, i), 0.9, 0.9, color=col))
    ax.set_xlim(-0.1, len(items))
    ax.set_ylim(len(studies), -0.1)
    ax.set_xticks(np.arange(len(items)) + 0.45, items)
    ax.set_yticks(np.arange(len(studies)) + 0.45, studies)
    ax.set_xlabel("Item")
    ax.set_title(title, loc="left", weight="bold")
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in style.JUDGEMENT_COLOURS.values()]
    ax.legend(handles, list(style.JUDGEMENT_COLOURS), loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    return fig


def rob_summary(summary: pd.DataFrame) -> plt.Figure:
    """Share of yes / no / unclear per item."""
    title = "Quality items: share of judgements"
    if summary["n"].sum() == 0:
        return _empty(title, "No item-level judgements have been entered yet.")
    fig, ax = plt.subplots(figsize=(7, 4))
    left = np.zeros(len(summary))
    for k in ("yes", "no", "unclear"):
        share = 100 * summary[k] / summary["n"].replace(0, np.nan)
        ax.barh(summary["item"], share.fillna(0), left=left, color=style.JUDGEMENT_COLOURS[k], label=k)
        left += share.fillna(0).to_numpy()
    ax.invert_yaxis()
    ax.set_xlabel("Share of studies (%)")
    ax.set_ylabel("Item")
    ax.set_title(title, loc="left", weight="bold")
    _legend_outside(ax, title="Judgement")
    return fig


def quality_histogram(studies: pd.DataFrame) -> plt.Figure:
    """Published quality totals (0-11) by design; studies with no total shown are counted
    in the legend."""
    fig, ax = plt.subplots(figsize=(7, 4))
    designs = sorted(studies["design"].unique())
    cols = [style.PALETTE["blue"], style.PALETTE["orange"], style.PALETTE["green"]]
    width = 0.8 / len(designs)
    for k, (dsg, col) in enumerate(zip(designs, cols)):
        q = pd.to_numeric(studies.loc[studies.design == dsg, "quality_score"], errors="coerce")
        counts = [int((q == s).sum()) for s in range(12)]
        ax.bar(
            np.arange(12) + (k - (len(designs) - 1) / 2) * width,
            counts,
            width=width,
            color=col,
            label=f"{dsg} (n = {int(q.notna().sum())} scored, {int(q.isna().sum())} without a score shown)",
        )
    ax.set_xticks(range(12))
    ax.set_xlabel("Quality score (0-11, published total)")
    ax.set_ylabel("Number of studies (table rows)")
    ax.set_title("Quality scores by design (Holwerda et al., 2014, Bijlage 5)", loc="left", weight="bold")
    # legend below the axes, off the bars
    ax.legend(
        frameon=False, fontsize=style.FONT_SIZE - 1, loc="upper left", bbox_to_anchor=(0.0, -0.16), borderaxespad=0.0
    )
    return fig


NOT_REPORTED = "not reported"


def _n(v) -> str:
    """A PRISMA count, or 'not reported' where the review gives none (never a guess)."""
    return NOT_REPORTED if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{int(v)}"


def _english_first(reason: str) -> str:
    """'dutch (english)' -> 'english (dutch)': the translation first, the original in brackets."""
    import re

    m = re.fullmatch(r"(.*?) \((.*)\)", reason.strip())
    return f"{m.group(2)} ({m.group(1)})" if m else reason


def prisma_diagram(p: dict) -> plt.Figure:
    """PRISMA 2020 flow diagram (Page et al., 2021, BMJ 372:n71; databases and registers
    plus other methods) from the flow structure of ``prisma.yaml``.  Every box of the
    template is drawn; a count the review does not report reads 'not reported'."""
    ide, scr, eli, inc = p["identification"], p["screening"], p["eligibility"], p["included"]
    fig, ax = plt.subplots(figsize=(10, 11.5))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 12.6)
    ax.axis("off")
    fs = style.FONT_SIZE - 1

    def box(x, y, w, h, text, fc="white"):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02", fc=fc, ec=style.POOLED, lw=0.9))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fs)

    def arrow(x0, y0, x1, y1):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", lw=0.9))

    L, LW, R, RW = 0.35, 5.0, 5.95, 3.85
    cx = L + LW / 2
    dbs = _wrap(", ".join(ide["databases"]), 58)
    # identification
    box(
        L,
        10.6,
        LW,
        1.7,
        f"Records identified from databases\n({dbs}):\nn = {_n(ide.get('records_identified'))}\n"
        f"unique records after de-duplication: n = {_n(ide.get('records_after_deduplication'))}",
        fc="#eef5fb",
    )
    box(
        R,
        10.85,
        RW,
        1.2,
        f"Records removed before screening:\nduplicate records removed:\nn = {_n(ide.get('duplicates_removed'))}",
    )
    arrow(L + LW, 11.45, R, 11.45)
    # screening
    box(L, 8.75, LW, 1.0, f"Records screened (title/abstract)\nn = {_n(scr.get('records_screened'))}")
    reasons = "\n".join(_wrap(f"{_english_first(r['reason'])}: {r['n']}", 52) for r in scr["exclusion_reasons"])
    box(R, 7.85, RW, 2.5, f"Records excluded: n = {_n(scr.get('records_excluded'))}\n{reasons}")
    arrow(cx, 10.6, cx, 9.75)
    arrow(L + LW, 9.25, R, 9.25)
    box(L, 6.8, LW, 0.9, f"Reports sought for retrieval\nn = {_n(eli.get('reports_sought'))}")
    box(R, 6.8, RW, 0.9, f"Reports not retrieved\nn = {_n(eli.get('reports_not_retrieved'))}")
    arrow(cx, 8.75, cx, 7.7)
    arrow(L + LW, 7.25, R, 7.25)
    box(
        L,
        5.0,
        LW,
        1.2,
        f"Reports assessed for eligibility (full text)\narticles n = "
        f"{_n(eli.get('full_text_assessed_articles'))}, reviews n = {_n(eli.get('full_text_assessed_reviews'))}",
    )
    box(
        R,
        5.0,
        RW,
        1.2,
        f"Reports excluded after full text\narticles n = {_n(eli.get('full_text_excluded_articles'))}, "
        f"reviews n = {_n(eli.get('full_text_excluded_reviews'))}\n(reasons: {NOT_REPORTED})",
    )
    arrow(cx, 6.8, cx, 6.2)
    arrow(L + LW, 5.6, R, 5.6)
    # included
    box(
        L,
        3.0,
        LW,
        1.3,
        f"Included from the database search\narticles n = "
        f"{_n(eli.get('included_from_database_search_articles'))}, reviews n = "
        f"{_n(eli.get('included_from_database_search_reviews'))}",
    )
    other = p.get("other_methods", [])
    box(
        R,
        2.75,
        RW,
        1.8,
        "Identified by other methods\n"
        + "\n".join(f"{_wrap(o['method'], 44)}:\nn = {_n(o.get('records_included'))}" for o in other),
        fc="#f7f7f7",
    )
    arrow(cx, 5.0, cx, 4.3)
    box(
        L,
        0.3,
        9.5,
        1.4,
        f"Studies included in the review\nprimary articles n = {_n(inc.get('primary_articles'))}, "
        f"reviews n = {_n(inc.get('reviews'))}",
        fc="#e8f4ea",
    )
    arrow(cx, 3.0, cx, 1.7)
    arrow(R + RW / 2, 2.75, R + RW / 2, 1.7)
    for y, lab in ((11.45, "Identification"), (7.6, "Screening"), (1.9, "Included")):
        ax.text(
            0.1,
            y,
            lab,
            rotation=90,
            ha="right",
            va="center",
            fontsize=style.FONT_SIZE,
            weight="bold",
            color=style.PALETTE["blue"],
        )
    ax.set_title(
        _wrap("Search and selection (PRISMA 2020 flow diagram; Holwerda et al., 2014, figure 2.1)", 92),
        loc="left",
        weight="bold",
    )
    ax.text(
        0.35, -0.15, f"'{NOT_REPORTED}': the review gives no count for this box.", fontsize=fs, style="italic", va="top"
    )
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def evidence_gap_map(gap: pd.DataFrame) -> plt.Figure:
    """Outcome domains x intervention types; cell = number of studies (RCT / quasi)."""
    doms = list(dict.fromkeys(gap["outcome_domain"]))
    types = list(dict.fromkeys(gap["intervention_type"]))
    M = gap.pivot(index="outcome_domain", columns="intervention_type", values="n_studies").loc[doms, types]
    R = gap.pivot(index="outcome_domain", columns="intervention_type", values="n_rct").loc[doms, types]
    Q = gap.pivot(index="outcome_domain", columns="intervention_type", values="n_quasi_experimental").loc[doms, types]
    fig, ax = plt.subplots(figsize=(12.5, 6))
    im = ax.imshow(M.to_numpy(float), cmap=style.SEQUENTIAL, aspect="auto", vmin=0)
    for i in range(len(doms)):
        for j in range(len(types)):
            n = int(M.iloc[i, j])
            txt = f"{n}\n({int(R.iloc[i, j])} RCT, {int(Q.iloc[i, j])} QE)" if n else "0"
            ax.text(
                j,
                i,
                txt,
                ha="center",
                va="center",
                fontsize=style.FONT_SIZE - 2,
                color="white" if n < M.to_numpy().max() * 0.6 else "black",
            )
    ax.set_xticks(
        range(len(types)),
        [_wrap(t, 16) for t in types],
        fontsize=style.FONT_SIZE - 2,
        rotation=30,
        ha="right",
        rotation_mode="anchor",
    )
    ax.set_yticks(range(len(doms)), doms)
    ax.set_xlabel("Intervention type")
    ax.set_ylabel("Outcome domain")
    fig.colorbar(im, ax=ax, label="Number of studies measuring outcomes in the domain")
    ax.set_title("Evidence gap map: studies per outcome domain and intervention type", loc="left", weight="bold")
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
        return _empty(title, "no specification could be fitted")
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
        f"median {med:.2f} (dashed); {int(summary['n_ci_excludes_zero'])} of "
        f"{int(summary['n_fitted'])} CIs ({level:g}%) exclude 0 (blue)",
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
            "axis clipped: some CIs extend beyond it",
            transform=ax.transAxes,
            va="top",
            ha="right",
            fontsize=style.FONT_SIZE - 1,
        )
    ax.set_ylabel(_wrap(ylabel, 30))
    ax.set_title(title)
    for j, (d, c) in enumerate(rows):
        on = (t[d].astype(str) == c).to_numpy()
        axc.scatter(x[on], np.full(on.sum(), j), marker="|", s=40, color=style.PALETTE["black"])
    axc.set_yticks(range(len(rows)))
    axc.set_yticklabels([f"{d}: {c}" for d, c in rows])
    axc.set_ylim(len(rows) - 0.5, -0.5)
    axc.set_xlabel("specification (sorted by estimate)")
    axc.set_xlim(0.5, n + 0.5)
    return fig


DIRECTION_COLOURS = {
    "positive": style.PALETTE["green"],
    "none": style.PALETTE["grey"],
    "negative": style.PALETTE["vermillion"],
    "mixed": style.PALETTE["yellow"],
    "unknown": "#d9d9d9",
}
DIRECTION_SYMBOLS = {"positive": "\u25b2", "none": "\u25c6", "negative": "\u25bc", "mixed": "\u25c6?", "unknown": "?"}


def effect_direction_plot(t: pd.DataFrame) -> plt.Figure:
    """Effect direction plot (after Thomson & Thomson 2013): one row per intervention type x
    outcome domain; stacked bars of statements by direction (positive, no effect, negative,
    mixed, unknown); unknown (arrow lost in the source) is shown as unknown, not guessed."""
    if t.empty:
        return _empty("Effect direction", "no statements")
    order = ["positive", "none", "negative", "mixed", "unknown"]
    labels = [f"{r.intervention_type} | {r.outcome_domain} (study rows: {r.n_study_rows})" for r in t.itertuples()]
    fig, ax = plt.subplots(figsize=(9.5, max(3.0, 0.26 * len(t) + 1.4)))
    left = np.zeros(len(t))
    y = np.arange(len(t))[::-1]
    for d in order:
        v = t[f"n_{d}"].to_numpy(float)
        ax.barh(
            y,
            v,
            left=left,
            color=DIRECTION_COLOURS[d],
            edgecolor="white",
            linewidth=0.5,
            label=f"{DIRECTION_SYMBOLS[d]} {d}",
        )
        for yi, li, vi in zip(y, left, v):
            if vi and d != "unknown":
                ax.text(
                    li + vi / 2,
                    yi,
                    DIRECTION_SYMBOLS[d].rstrip("?"),
                    ha="center",
                    va="center",
                    fontsize=style.FONT_SIZE - 3,
                    color="black",
                )
        left += v
    ax.set_yticks(y, labels, fontsize=style.FONT_SIZE - 2)
    ax.set_xlabel("Number of effect statements (Bijlage 5)")
    ax.legend(loc="lower right", fontsize=style.FONT_SIZE - 2, frameon=False)
    ax.set_title("Effect direction by intervention type and outcome domain (SWiM)", loc="left", weight="bold")
    fig.tight_layout()
    return fig
