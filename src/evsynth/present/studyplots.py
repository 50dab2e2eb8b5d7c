"""The figures of the coded studies: risk-of-bias plots for the 11-item form, the quality
histogram, the PRISMA 2020 flow diagram, the evidence gap map and the effect direction plot.

Every function takes data and returns a matplotlib Figure; nothing is written here
(:func:`evsynth.present.style.save` writes them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.patches import FancyBboxPatch, Rectangle

from evsynth.draw.axes import decimal_axis, legend_outside as _legend_outside, wrap as _wrap
from evsynth.present import style
from evsynth.present.i18n import _, current, number

style.apply()

__all__ = [
    "empty_figure",
    "rob_traffic_light",
    "rob_summary",
    "quality_histogram",
    "prisma_diagram",
    "evidence_gap_map",
    "effect_direction_plot",
    "NOT_REPORTED",
]


def empty_figure(title: str, message: str, size=(7, 3)) -> plt.Figure:
    """A figure that says in words why there is nothing to draw."""
    fig, ax = plt.subplots(figsize=size)
    ax.axis("off")
    ax.set_title(title, loc="left", weight="bold")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=style.FONT_SIZE + 1)
    return fig


def rob_traffic_light(assess: pd.DataFrame, items=tuple("ABCDEFGHIJK")) -> plt.Figure:
    """Study x item grid of judgements (consensus where present)."""
    title = _("Quality items per study (11-item form, Bijlage 1)")
    if assess.empty:
        return empty_figure(
            title,
            _("No item-level judgements have been entered yet.")
            + "\n"
            + _("Holwerda et al. (2014) publish totals only (see the histogram of totals by design)."),
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
    ax.set_xlabel(_("Item"))
    ax.set_title(title, loc="left", weight="bold")
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in style.JUDGEMENT_COLOURS.values()]
    ax.legend(handles, [_(k) for k in style.JUDGEMENT_COLOURS], loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    return fig


def rob_summary(summary: pd.DataFrame) -> plt.Figure:
    """Share of yes / no / unclear per item."""
    title = _("Quality items: share of judgements")
    if summary["n"].sum() == 0:
        return empty_figure(title, _("No item-level judgements have been entered yet."))
    fig, ax = plt.subplots(figsize=(7, 4))
    left = np.zeros(len(summary))
    for k in ("yes", "no", "unclear"):
        share = 100 * summary[k] / summary["n"].replace(0, np.nan)
        ax.barh(summary["item"], share.fillna(0), left=left, color=style.JUDGEMENT_COLOURS[k], label=_(k))
        left += share.fillna(0).to_numpy()
    ax.invert_yaxis()
    ax.set_xlabel(_("Share of studies (%)"))
    ax.set_ylabel(_("Item"))
    decimal_axis(ax.xaxis, number(1.5, 1)[1])
    ax.set_title(title, loc="left", weight="bold")
    _legend_outside(ax, title=_("Judgement"))
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
            label=_("{} (n = {} scored, {} without a score shown)").format(
                _(dsg), int(q.notna().sum()), int(q.isna().sum())
            ),
        )
    ax.set_xticks(range(12))
    ax.set_xlabel(_("Quality score (0-11, published total)"))
    ax.set_ylabel(_("Number of studies (table rows)"))
    decimal_axis(ax.yaxis, number(1.5, 1)[1])
    ax.set_title(_("Quality scores by design (Holwerda et al., 2014, Bijlage 5)"), loc="left", weight="bold")
    # legend below the axes, off the bars
    ax.legend(
        frameon=False, fontsize=style.FONT_SIZE - 1, loc="upper left", bbox_to_anchor=(0.0, -0.16), borderaxespad=0.0
    )
    return fig


NOT_REPORTED = "not reported"


def _n(v) -> str:
    """A PRISMA count, or 'not reported' where the review gives none (never a guess)."""
    return _(NOT_REPORTED) if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{int(v)}"


def _english_first(reason: str) -> str:
    """'dutch (english)' -> 'english (dutch)': the translation first, the original in brackets
    (in the Dutch edition the Dutch original alone)."""
    import re

    m = re.fullmatch(r"(.*?) \((.*)\)", reason.strip())
    if m and current() == "nl":
        return m.group(1)
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
        _("Records identified from databases\n({}):\nn = {}\nunique records after de-duplication: n = {}").format(
            dbs, _n(ide.get("records_identified")), _n(ide.get("records_after_deduplication"))
        ),
        fc="#eef5fb",
    )
    box(
        R,
        10.85,
        RW,
        1.2,
        _("Records removed before screening:\nduplicate records removed:\nn = {}").format(
            _n(ide.get("duplicates_removed"))
        ),
    )
    arrow(L + LW, 11.45, R, 11.45)
    # screening
    box(L, 8.75, LW, 1.0, _("Records screened (title/abstract)\nn = {}").format(_n(scr.get("records_screened"))))
    reasons = "\n".join(_wrap(f"{_english_first(r['reason'])}: {r['n']}", 52) for r in scr["exclusion_reasons"])
    box(R, 7.85, RW, 2.5, _("Records excluded: n = {}").format(_n(scr.get("records_excluded"))) + f"\n{reasons}")
    arrow(cx, 10.6, cx, 9.75)
    arrow(L + LW, 9.25, R, 9.25)
    box(L, 6.8, LW, 0.9, _("Reports sought for retrieval\nn = {}").format(_n(eli.get("reports_sought"))))
    box(R, 6.8, RW, 0.9, _("Reports not retrieved\nn = {}").format(_n(eli.get("reports_not_retrieved"))))
    arrow(cx, 8.75, cx, 7.7)
    arrow(L + LW, 7.25, R, 7.25)
    box(
        L,
        5.0,
        LW,
        1.2,
        _("Reports assessed for eligibility (full text)\narticles n = {}, reviews n = {}").format(
            _n(eli.get("full_text_assessed_articles")), _n(eli.get("full_text_assessed_reviews"))
        ),
    )
    box(
        R,
        5.0,
        RW,
        1.2,
        _("Reports excluded after full text\narticles n = {}, reviews n = {}\n(reasons: {})").format(
            _n(eli.get("full_text_excluded_articles")), _n(eli.get("full_text_excluded_reviews")), _(NOT_REPORTED)
        ),
    )
    arrow(cx, 6.8, cx, 6.2)
    arrow(L + LW, 5.6, R, 5.6)
    # included
    box(
        L,
        3.0,
        LW,
        1.3,
        _("Included from the database search\narticles n = {}, reviews n = {}").format(
            _n(eli.get("included_from_database_search_articles")), _n(eli.get("included_from_database_search_reviews"))
        ),
    )
    other = p.get("other_methods", [])
    box(
        R,
        2.75,
        RW,
        1.8,
        _("Identified by other methods")
        + "\n"
        + "\n".join(f"{_wrap(_(o['method']), 44)}:\nn = {_n(o.get('records_included'))}" for o in other),
        fc="#f7f7f7",
    )
    arrow(cx, 5.0, cx, 4.3)
    box(
        L,
        0.3,
        9.5,
        1.4,
        _("Studies included in the review\nprimary articles n = {}, reviews n = {}").format(
            _n(inc.get("primary_articles")), _n(inc.get("reviews"))
        ),
        fc="#e8f4ea",
    )
    arrow(cx, 3.0, cx, 1.7)
    arrow(R + RW / 2, 2.75, R + RW / 2, 1.7)
    for y, lab in ((11.45, "Identification"), (7.6, "Screening"), (1.9, "Included")):
        ax.text(
            0.1,
            y,
            _(lab),
            rotation=90,
            ha="right",
            va="center",
            fontsize=style.FONT_SIZE,
            weight="bold",
            color=style.PALETTE["blue"],
        )
    ax.set_title(
        _wrap(_("Search and selection (PRISMA 2020 flow diagram; Holwerda et al., 2014, figure 2.1)"), 92),
        loc="left",
        weight="bold",
    )
    ax.text(
        0.35,
        -0.15,
        _("'{}': the review gives no count for this box.").format(_(NOT_REPORTED)),
        fontsize=fs,
        style="italic",
        va="top",
    )
    return fig


def evidence_gap_map(gap: pd.DataFrame) -> plt.Figure:
    """Outcome domains x intervention types; cell = number of studies (RCT / quasi); its texts
    in the report's current language (the Dutch edition shows it in Dutch)."""
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
            txt = _("{}\n({} RCT, {} QE)").format(n, int(R.iloc[i, j]), int(Q.iloc[i, j])) if n else "0"
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
        [_wrap(_(t), 18) for t in types],
        fontsize=style.FONT_SIZE - 2,
        rotation=30,
        ha="right",
        rotation_mode="anchor",
    )
    ax.set_yticks(range(len(doms)), [_(d) for d in doms])
    ax.set_xlabel(_("Intervention type"))
    ax.set_ylabel(_("Outcome domain"))
    bar = fig.colorbar(im, ax=ax, label=_("Number of studies measuring outcomes in the domain"))
    decimal_axis(bar.ax.yaxis, number(1.5, 1)[1])  # a decimal comma in Dutch
    ax.set_title(_("Evidence gap map: studies per outcome domain and intervention type"), loc="left", weight="bold")
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
        return empty_figure(_("Effect direction"), _("no statements"))
    order = ["positive", "none", "negative", "mixed", "unknown"]
    labels = [
        _("{} | {} (study rows: {})").format(_(r.intervention_type), _(r.outcome_domain), r.n_study_rows)
        for r in t.itertuples()
    ]
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
            label=f"{DIRECTION_SYMBOLS[d]} {_(d)}",
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
    ax.set_xlabel(_("Number of effect statements (Bijlage 5)"))
    decimal_axis(ax.xaxis, number(1.5, 1)[1])
    ax.legend(loc="lower right", fontsize=style.FONT_SIZE - 2, frameon=False)
    ax.set_title(_("Effect direction by intervention type and outcome domain (SWiM)"), loc="left", weight="bold")
    fig.tight_layout()
    return fig
