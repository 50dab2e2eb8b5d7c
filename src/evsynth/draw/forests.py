"""The forest plot: one row per study (its estimate and confidence interval, a square sized
by its weight), summary diamonds, a prediction interval, subgroup headers -- from plain
numbers onto one matplotlib Axes.  The plotting verb :func:`evsynth.forest` (from a fit) and
the report's forest pages (from ``figure_forest.csv``) both draw with :func:`forest`."""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Sequence

import numpy as np
from matplotlib.patches import Polygon

from evsynth.draw import style
from evsynth.draw.axes import number, ratio_ticks, shorten

__all__ = ["Row", "forest", "x_range", "paginate"]


class Row(NamedTuple):
    """One row of a forest plot.  ``kind``: ``"study"`` (estimate ``est`` with interval
    ``lo``-``hi`` and ``weight`` in percent), ``"summary"`` (a diamond; ``main`` for the
    overall result, else a subgroup's), ``"pi"`` (a prediction interval ``lo``-``hi``),
    ``"header"`` (a subgroup's title) or ``"blank"``.  Rows sharing a ``key`` (the study of
    several effect sizes) stay on one page when a forest is split (:func:`paginate`)."""

    kind: str
    label: str = ""
    est: float = math.nan
    lo: float = math.nan
    hi: float = math.nan
    weight: float = math.nan
    key: str | None = None
    main: bool = False


def x_range(rows: Sequence[Row], ref: float | None = 0.0) -> tuple[float, float]:
    """The x range that shows every interval of ``rows`` and the reference line, padded by 5 %."""
    xs = [v for r in rows if r.kind in ("study", "summary", "pi") for v in (r.lo, r.hi)]
    if ref is not None:
        xs.append(ref)
    xs = np.asarray(xs, float)
    lo, hi = float(np.nanmin(xs)), float(np.nanmax(xs))
    pad = 0.05 * (hi - lo if hi > lo else 1)
    return lo - pad, hi + pad


def _annotation(est, lo, hi, show, digits, decimal) -> str:
    """``0.30 [0.15, 0.46]``; with a decimal comma the bounds are separated by a semicolon, as
    Dutch writes an interval (``0,30 [0,15; 0,46]``), so that the separator is not a decimal mark."""
    f = lambda v: number(show(v), digits, decimal)  # noqa: E731
    sep = "; " if decimal == "," else ", "
    return f"{f(est)} [{f(lo)}{sep}{f(hi)}]" if est is not None else f"[{f(lo)}{sep}{f(hi)}]"


def forest(
    ax,
    rows: Sequence[Row],
    *,
    transf: Callable | None = None,
    show: Callable | None = None,
    digits: int = 2,
    decimal: str = ".",
    refline: float | None = 0.0,
    xlim: tuple[float, float] | None = None,
    ratio_axis: bool = False,
    annotate: bool = True,
    annot_x: float = 1.01,
    weight_x: float | None = None,
    wmax: float | None = None,
    fitted=None,
    header: tuple[str, str, str] | None = None,
    label_x: float | None = None,
    label_width: int | None = None,
    colour: str = "black",
    summary_colour: str = "black",
    pi_colour: str = style.PREDICTION,
    fontsize: float | None = None,
):
    """Draw ``rows`` (:class:`Row`, top to bottom) on ``ax``; row ``i`` at y = ``i`` (the
    y axis runs downwards).  Returns ``ax``.

    ``transf`` maps the numbers to the x positions drawn (e.g. ``numpy.exp``); ``show`` maps
    them to the numbers written (metafor's ``atransf``: a log axis annotated in ratios), by
    default ``transf``.  ``ratio_axis``: ticks at round ratios (the x axis holds log ratios).
    The labels are the y tick labels, or texts left-aligned at ``label_x`` (axes fraction)
    when given (bold for headers and the overall summary; cut to ``label_width`` characters).
    ``annotate`` writes "estimate [lower, upper]" at ``annot_x`` (axes fraction), the weight in
    percent at ``weight_x`` when given; ``header`` is (labels, estimates, weights) written
    above the first row.  ``fitted`` (one value per study row) marks a meta-regression's fitted
    values.  Squares are sized by ``weight`` relative to ``wmax`` (the largest weight of every
    page of a split forest).  Numbers are written with the decimal mark ``decimal``.

    The artists carry labels a test or a user can find: ``"ci"`` (one line per study),
    ``"studies"`` (the squares), ``"summary"`` (the overall diamond), ``"subgroup"`` (other
    diamonds), ``"pi"``, ``"fitted"``, ``"refline"``."""
    tf = transf if transf is not None else (lambda v: v)
    sh = show if show is not None else tf
    fs = fontsize if fontsize is not None else style.FONT_SIZE - 1
    n = len(rows)
    study = [(i, r) for i, r in enumerate(rows) if r.kind == "study"]
    ys = np.array([i for i, _ in study], float)
    est = np.array([r.est for _, r in study], float)
    w = np.array([r.weight for _, r in study], float)
    if wmax is None:
        wmax = float(np.nanmax(w)) if np.isfinite(w).any() else 1.0
    sizes = np.where(np.isfinite(w), (4 + 10 * np.sqrt(np.where(np.isfinite(w), w, 0) / (wmax or 1.0))) ** 2, 25.0)
    for j, (i, r) in enumerate(study):
        ax.plot([tf(r.lo), tf(r.hi)], [i, i], color=colour, lw=0.9, label="ci" if j == 0 else "_ci")
    ax.scatter(tf(est), ys, s=sizes, marker="s", color=colour, edgecolors="none", zorder=3, label="studies")
    if fitted is not None:
        ax.scatter(
            tf(np.asarray(fitted, float)),
            ys,
            marker="D",
            s=25,
            facecolor="none",
            edgecolor="grey",
            zorder=2,
            label="fitted",
        )
    notes = []  # (y, text, bold, colour) of the right-hand annotations: summaries first, then studies
    for i, r in enumerate(rows):
        if r.kind == "summary":
            ax.add_patch(
                Polygon(
                    [[tf(r.lo), i], [tf(r.est), i - 0.4], [tf(r.hi), i], [tf(r.est), i + 0.4]],
                    closed=True,
                    color=summary_colour if r.main else style.PALETTE["grey"],
                    label="summary" if r.main else "subgroup",
                )
            )
            notes.append((i, _annotation(r.est, r.lo, r.hi, sh, digits, decimal), r.main, None))
        elif r.kind == "pi":
            ax.plot([tf(r.lo), tf(r.hi)], [i, i], color=pi_colour, lw=1.6, label="pi")
            for x in (r.lo, r.hi):
                ax.plot([tf(x), tf(x)], [i - 0.2, i + 0.2], color=pi_colour, lw=1.6, label="_pi")
            notes.append((i, _annotation(None, r.lo, r.hi, sh, digits, decimal), False, pi_colour))
    if annotate:
        notes += [(i, _annotation(r.est, r.lo, r.hi, sh, digits, decimal), False, None) for i, r in study]
        trans = ("axes fraction", "data")
        for y, text, bold, col in notes:
            ax.annotate(
                text,
                (annot_x, y),
                xycoords=trans,
                va="center",
                fontsize=fs,
                family="DejaVu Sans Mono",
                weight="bold" if bold else "normal",
                color=col or "black",
            )
        if weight_x is not None:
            for i, r in study:
                if math.isfinite(r.weight):
                    ax.annotate(
                        f"{number(r.weight, 1, decimal)}%",
                        (weight_x, i),
                        xycoords=trans,
                        va="center",
                        ha="right",
                        fontsize=fs,
                        family="DejaVu Sans Mono",
                    )
    if refline is not None:
        ax.axvline(tf(refline), color=style.PALETTE["grey"], lw=0.8, ls="--", label="refline")
    ax.set_ylim(n, -1.5 if header else -1)
    if xlim is None:
        xlim = x_range(rows, refline)
        xlim = (tf(xlim[0]), tf(xlim[1]))
    ax.set_xlim(*xlim)
    if ratio_axis:
        ratio_ticks(ax, xlim[0], xlim[1], decimal)
    _labels(ax, rows, label_x, label_width, pi_colour, summary_colour)
    if header:
        trans = ("axes fraction", "data")
        at = label_x if label_x is not None else -0.02
        ax.annotate(header[0], (at, -1.2), xycoords=trans, weight="bold", fontsize=style.FONT_SIZE, ha="left")
        ax.annotate(header[1], (annot_x, -1.2), xycoords=trans, weight="bold", fontsize=style.FONT_SIZE)
        if header[2] and weight_x is not None and np.isfinite(w).any():
            ax.annotate(
                header[2], (weight_x, -1.2), xycoords=trans, weight="bold", ha="right", fontsize=style.FONT_SIZE
            )
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return ax


def _labels(ax, rows, label_x, label_width, pi_colour, summary_colour) -> None:
    """The rows' labels, styled by kind: the y tick labels, or texts left-aligned at
    ``label_x`` (axes fraction) when given."""
    shown = [(i, r) for i, r in enumerate(rows) if r.kind != "blank"]
    texts = [shorten(r.label, label_width) if label_width and r.kind == "study" else r.label for _, r in shown]
    if label_x is None:
        ax.set_yticks([i for i, _ in shown], texts)
        objs = ax.get_yticklabels()
    else:
        ax.set_yticks([])
        objs = [
            ax.annotate(t, (label_x, i), xycoords=("axes fraction", "data"), va="center", ha="left")
            for t, (i, _) in zip(texts, shown)
        ]
    for t, (_, r) in zip(objs, shown):
        t.set_fontsize(style.FONT_SIZE - 1)
        if r.kind == "header" or (r.kind == "summary" and r.main):
            t.set_fontweight("bold")
            t.set_fontsize(style.FONT_SIZE)
        if r.kind == "summary" and r.main:
            t.set_color(summary_colour)
        elif r.kind == "pi":
            t.set_color(pi_colour)


def paginate(rows: list[Row], max_rows: int, continued: str = "(continued)") -> list[list[Row]]:
    """Split ``rows`` over the fewest pages of at most ``max_rows`` rows, balanced: the rows of
    one study (a shared ``key``) stay on one page where they fit, a subgroup header stays with
    its first row, the closing rows (blank, overall summary, prediction interval) with the
    last; a page that starts inside a subgroup repeats its header, marked ``continued``.
    Each try of a page size is linear in the number of rows (at most ``max_rows`` tries)."""
    if len(rows) <= max_rows:
        return [list(rows)]
    last_main = max((i for i, r in enumerate(rows) if r.kind == "summary" and r.main), default=-1)
    blocks: list[list[Row]] = []
    for i, r in enumerate(rows):
        prev = blocks[-1][-1] if blocks else None
        if prev is not None and r.kind == "study" and prev.kind == "study" and r.key is not None and r.key == prev.key:
            blocks[-1].append(r)
        elif prev is not None and (prev.kind == "header" or r.kind == "pi" or i == last_main):
            blocks[-1].append(r)
        else:
            blocks.append([r])

    def pack(limit: int) -> list[list[Row]]:
        out: list[list[Row]] = [[]]
        for blk in blocks:
            if out[-1] and len(out[-1]) + len(blk) > limit:
                out.append([])
            for r in blk:  # a block longer than a page is split
                if len(out[-1]) >= limit:
                    out.append([])
                out[-1].append(r)
        return out

    n_min = math.ceil(len(rows) / max_rows)
    pages = pack(max_rows)
    for limit in range(math.ceil(len(rows) / n_min), max_rows + 1):  # balanced pages, fewest possible
        pages = pack(limit)
        if len(pages) <= n_min:
            break
    open_header = None
    for pg in pages:
        if open_header is not None and pg and pg[0].kind == "study":
            pg.insert(0, Row("header", f"{open_header} {continued}"))
        for r in pg:
            if r.kind == "header":
                open_header = r.label.removesuffix(f" {continued}")
            elif r.kind == "summary":
                open_header = None
    return pages
