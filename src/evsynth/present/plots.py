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

__all__ = ["forest_plot", "funnel_plot", "bubble_plot", "rob_traffic_light", "rob_summary", "quality_histogram",
           "prisma_diagram", "evidence_gap_map", "specification_curve"]


def _fmt(x: float, back) -> str:
    return f"{back(x):.2f}"


def forest_plot(studies: pd.DataFrame, pooled: dict, *, title: str, xlabel: str, level: float = 95.0,
                back=None, log_axis: bool = False, subgroups: list[dict] | None = None,
                between: str | None = None, ref: float = 0.0) -> plt.Figure:
    """Forest plot.  ``studies`` has label, yi, ci_lb, ci_ub (at ``level``), weight (%)
    and optionally group;
    ``pooled`` has estimate, ci_lb, ci_ub, pi_lb, pi_ub, label.  ``back`` transforms
    the axis (e.g. ``np.exp`` for ratios, shown on a log axis).  ``subgroups`` gives a
    pooled dict per group (blocks with their own diamonds) and ``between`` the text of
    the between-group test."""
    back = back or (lambda x: x)
    d = studies.copy()
    d["lo"], d["hi"] = d["ci_lb"], d["ci_ub"]
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
    n = len(rows)
    height = max(3.0, style.ROW_HEIGHT * (n + 4))
    fig = plt.figure(figsize=(style.FIG_WIDTH, height))
    ax = fig.add_axes([0.34, 0.6 / height + 0.02, 0.40, 1 - 1.6 / height])
    ylim = (-1, n)
    ax.set_ylim(n, -1.5)
    wmax = float(np.nanmax(d["weight"])) if "weight" in d and d["weight"].notna().any() else 1.0
    xs = []
    for i, (kind, p) in enumerate(rows):
        if kind == "study":
            w = float(p.get("weight", np.nan))
            size = 4 + 10 * np.sqrt(w / wmax) if np.isfinite(w) else 5
            ax.plot([p["lo"], p["hi"]], [i, i], color=style.STUDY, lw=0.9)
            ax.plot(p["yi"], i, marker="s", ms=size, color=style.STUDY, mec="none")
            xs += [p["lo"], p["hi"]]
            fig.text(0.01, _ycoord(ax, i), str(p["label"])[:42], va="center", ha="left", fontsize=style.FONT_SIZE - 1)
            fig.text(0.76, _ycoord(ax, i), f"{_fmt(p['yi'], back)} [{_fmt(p['lo'], back)}, {_fmt(p['hi'], back)}]",
                     va="center", fontsize=style.FONT_SIZE - 1, family="DejaVu Sans Mono")
            if np.isfinite(w):
                fig.text(0.95, _ycoord(ax, i), f"{w:.1f}%", va="center", ha="right", fontsize=style.FONT_SIZE - 1,
                         family="DejaVu Sans Mono")
        elif kind == "header":
            fig.text(0.01, _ycoord(ax, i), str(p), va="center", ha="left", fontsize=style.FONT_SIZE, weight="bold")
        elif kind == "diamond":
            est, lo, hi = p["estimate"], p["ci_lb"], p["ci_ub"]
            poly = Polygon([[lo, i], [est, i - 0.4], [hi, i], [est, i + 0.4]], closed=True,
                           color=style.POOLED if p is pooled else style.PALETTE["grey"])
            ax.add_patch(poly)
            xs += [lo, hi]
            if p.get("pi_lb") is not None and np.isfinite(p.get("pi_lb", np.nan)):
                ax.plot([p["pi_lb"], p["pi_ub"]], [i + 0.55, i + 0.55], color=style.PREDICTION, lw=1.6)
                xs += [p["pi_lb"], p["pi_ub"]]
                fig.text(0.76, _ycoord(ax, i + 0.55), f"PI [{_fmt(p['pi_lb'], back)}, {_fmt(p['pi_ub'], back)}]",
                         va="center", fontsize=style.FONT_SIZE - 2, color=style.PREDICTION, family="DejaVu Sans Mono")
            fig.text(0.01, _ycoord(ax, i), p.get("label", "Pooled"), va="center", ha="left",
                     fontsize=style.FONT_SIZE - (0 if p is pooled else 1), weight="bold" if p is pooled else "normal")
            fig.text(0.76, _ycoord(ax, i), f"{_fmt(est, back)} [{_fmt(lo, back)}, {_fmt(hi, back)}]", va="center",
                     fontsize=style.FONT_SIZE - 1, weight="bold" if p is pooled else "normal", family="DejaVu Sans Mono")
    ax.axvline(ref, color=style.PALETTE["grey"], lw=0.8, ls="--")
    lo, hi = float(np.nanmin(xs + [ref])), float(np.nanmax(xs + [ref]))
    pad = 0.05 * (hi - lo if hi > lo else 1)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(xlabel)
    if log_axis:
        _ratio_ticks(ax, lo - pad, hi + pad)
    top = _ycoord(ax, -1.2)
    fig.text(0.01, top, "Study", weight="bold", fontsize=style.FONT_SIZE)
    fig.text(0.76, top, f"Estimate [{level:g}% CI]", weight="bold", fontsize=style.FONT_SIZE)
    fig.text(0.95, top, "Weight", weight="bold", ha="right", fontsize=style.FONT_SIZE)
    fig.suptitle(title, x=0.01, ha="left", y=1 - 0.08 / height * 2, fontsize=style.TITLE_SIZE, weight="bold")
    if between:
        fig.text(0.01, 0.15 / height, between, fontsize=style.FONT_SIZE - 1, style="italic")
    del ylim
    return fig


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


def funnel_plot(yi, vi, estimate: float, contours: pd.DataFrame, *, title: str, xlabel: str, filled_yi=None,
                filled_vi=None, back=None, log_axis: bool = False) -> plt.Figure:
    """Contour-enhanced funnel plot (Peters et al., 2008): shaded regions where a study
    would be significant (two-sided, around zero) at each row of ``contours`` (columns
    p, label, z: the critical value), the pseudo confidence region around the estimate
    at the p = .05 contour; filled studies from trim-and-fill shown as open circles."""
    yi, sei = np.asarray(yi, float), np.sqrt(np.asarray(vi, float))
    fig, ax = plt.subplots(figsize=(6.5, 5))
    smax = float(max(sei.max(), np.sqrt(np.max(filled_vi)) if filled_vi is not None and len(filled_vi) else 0)) * 1.1
    s = np.linspace(0, smax, 100)
    shades = ["#d9d9d9", "#bdbdbd", "#969696", "#737373"]
    c = contours.sort_values("p", ascending=False).reset_index(drop=True)
    xmax = max(np.abs(yi).max(), float(c["z"].max()) * smax) * 1.05
    ax.fill_betweenx(s, -xmax, xmax, color="white")
    for i, r in c.iterrows():
        ax.fill_betweenx(s, r["z"] * s, xmax, color=shades[i % len(shades)], label=r["label"], lw=0)
        ax.fill_betweenx(s, -xmax, -r["z"] * s, color=shades[i % len(shades)], lw=0)
    z05 = float(c.loc[(c["p"] - 0.05).abs().idxmin(), "z"])
    ax.plot(estimate - z05 * s, s, color=style.POOLED, lw=0.8, ls=":")
    ax.plot(estimate + z05 * s, s, color=style.POOLED, lw=0.8, ls=":")
    ax.axvline(estimate, color=style.POOLED, lw=1, label="pooled estimate")
    ax.scatter(yi, sei, s=22, color=style.STUDY, zorder=3, label="studies")
    if filled_yi is not None and len(filled_yi):
        ax.scatter(filled_yi, np.sqrt(filled_vi), s=26, facecolors="white", edgecolors=style.PALETTE["vermillion"],
                   zorder=3, label="filled (trim-and-fill)")
    ax.set_ylim(smax, 0)
    ax.set_xlim(-xmax, xmax)
    ax.set_ylabel("Standard error")
    ax.set_xlabel(xlabel)
    if log_axis:
        _ratio_ticks(ax, -xmax, xmax)
    ax.set_title(title, loc="left", weight="bold")
    ax.legend(loc="lower right", fontsize=style.FONT_SIZE - 2, frameon=False)
    return fig


def bubble_plot(x, yi, weights, line_x, fit, ci_lb, ci_ub, *, title: str, xlabel: str, ylabel: str,
                level: float = 95.0) -> plt.Figure:
    """Effect versus a numeric moderator, bubble area proportional to the weight, with
    the fitted meta-regression line and its confidence band."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    w = np.asarray(weights, float)
    ax.fill_between(line_x, ci_lb, ci_ub, color=style.PALETTE["sky"], alpha=0.35, lw=0, label=f"{level:g}% CI of the fit")
    ax.plot(line_x, fit, color=style.POOLED, lw=1.4, label="meta-regression")
    ax.scatter(x, yi, s=20 + 600 * w / w.max(), color=style.STUDY, alpha=0.55, edgecolors="white", lw=0.5,
               label="studies (area = weight)")
    ax.axhline(0, color=style.PALETTE["grey"], lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", weight="bold")
    ax.legend(fontsize=style.FONT_SIZE - 2, frameon=False)
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
        return _empty(title, "No item-level judgements have been entered yet.\n"
                             "The seed publishes totals only (see the histogram of totals by design).")
    use = assess[assess.rater == "consensus"] if (assess.rater == "consensus").any() else \
        assess[assess.rater == sorted(assess.rater.unique())[0]]
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
    ax.legend(ncol=3, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0))
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
        ax.bar(np.arange(12) + (k - (len(designs) - 1) / 2) * width, counts, width=width, color=col,
               label=f"{dsg} (n = {int(q.notna().sum())} scored, {int(q.isna().sum())} without a score shown)")
    ax.set_xticks(range(12))
    ax.set_xlabel("Quality score (0-11, published total)")
    ax.set_ylabel("Number of studies (table rows)")
    ax.set_title("Quality scores by design (Holwerda et al., 2014, Bijlage 5)", loc="left", weight="bold")
    ax.legend(frameon=False, fontsize=style.FONT_SIZE - 1)
    return fig


def prisma_diagram(p: dict) -> plt.Figure:
    """PRISMA 2020 flow diagram from the flow structure of ``prisma.yaml``."""
    ide, scr, eli, inc = p["identification"], p["screening"], p["eligibility"], p["included"]
    fig, ax = plt.subplots(figsize=(10, 9))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.axis("off")

    def box(x, y, w, h, text, fc="white"):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02", fc=fc, ec=style.POOLED, lw=0.9))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=style.FONT_SIZE - 1, wrap=True)

    def arrow(x0, y0, x1, y1):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", lw=0.9))

    dbs = ", ".join(ide["databases"])
    box(0.2, 8.3, 5.2, 1.4, f"Records identified from databases\n({_wrap(dbs, 50)})\n"
                           f"unique records: n = {ide['records_after_deduplication']}", fc="#eef5fb")
    box(0.2, 6.4, 5.2, 1.2, f"Records screened (title/abstract)\nn = {scr['records_screened']}")
    reasons = "\n".join(_wrap(f"{r['reason'].split(' (')[0]}: {r['n']}", 36) for r in scr["exclusion_reasons"])
    box(6.0, 5.9, 3.8, 2.2, f"Records excluded: n = {scr['records_excluded']}\n{reasons}")
    box(0.2, 4.4, 5.2, 1.3, f"Full text assessed\narticles n = {eli['full_text_assessed_articles']}, "
                           f"reviews n = {eli.get('full_text_assessed_reviews', 0)}")
    box(6.0, 4.4, 3.8, 1.3, f"Excluded after full text\narticles n = {eli['full_text_excluded_articles']}, "
                           f"reviews n = {eli.get('full_text_excluded_reviews', 0)}\n(reasons not reported)")
    other = p.get("other_methods", [])
    box(6.0, 2.4, 3.8, 1.5, "Other methods\n" + "\n".join(f"{_wrap(o['method'], 40)}: n = {o['records_included']}"
                                                       for o in other), fc="#f7f7f7")
    box(0.2, 2.4, 5.2, 1.3, f"Included from the database search\narticles n = "
                           f"{eli['included_from_database_search_articles']}, reviews n = "
                           f"{eli.get('included_from_database_search_reviews', 0)}")
    box(0.2, 0.3, 9.6, 1.4, f"Studies included in the review\nprimary articles n = {inc['primary_articles']}, "
                           f"reviews n = {inc.get('reviews', 0)}", fc="#e8f4ea")
    arrow(2.8, 8.3, 2.8, 7.6)
    arrow(5.4, 7.0, 6.0, 7.0)
    arrow(2.8, 6.4, 2.8, 5.7)
    arrow(5.4, 5.05, 6.0, 5.05)
    arrow(2.8, 4.4, 2.8, 3.7)
    arrow(2.8, 2.4, 2.8, 1.7)
    arrow(7.9, 2.4, 7.9, 1.7)
    for x, lab in ((8.9, "Identification"), (6.9, "Screening"), (4.9, "Eligibility"), (1.0, "Included")):
        ax.text(-0.05, x, lab, rotation=90, ha="right", va="center", fontsize=style.FONT_SIZE, weight="bold",
                color=style.PALETTE["blue"])
    ax.set_title("Search and selection (PRISMA 2020 flow; Holwerda et al., 2014, figure 2.1)", loc="left", weight="bold")
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
            ax.text(j, i, txt, ha="center", va="center", fontsize=style.FONT_SIZE - 2,
                    color="white" if n < M.to_numpy().max() * 0.6 else "black")
    ax.set_xticks(range(len(types)), [_wrap(t, 16) for t in types], fontsize=style.FONT_SIZE - 2, rotation=30,
                  ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(doms)), doms)
    ax.set_xlabel("Intervention type")
    ax.set_ylabel("Outcome domain")
    fig.colorbar(im, ax=ax, label="Number of studies measuring outcomes in the domain")
    ax.set_title("Evidence gap map: studies per outcome domain and intervention type", loc="left", weight="bold")
    return fig


def specification_curve(table: pd.DataFrame, dims: list[tuple[str, list]], summary: pd.Series, *, title: str,
                        ylabel: str, level: float = 95.0) -> plt.Figure:
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
    fig, (ax, axc) = plt.subplots(2, 1, figsize=(style.FIG_WIDTH, height), sharex=True,
                                  gridspec_kw={"height_ratios": [3.2, 0.2 * max(len(rows), 1)], "hspace": 0.05})
    x = np.arange(1, n + 1)
    excl = t["ci_excludes_zero"].to_numpy() == 1
    colours = np.where(excl, style.PALETTE["blue"], style.PALETTE["grey"])
    ax.vlines(x, t["ci_lb"], t["ci_ub"], colors=colours, linewidth=0.8, alpha=0.8)
    ax.scatter(x, t["estimate"], c=colours, s=10, zorder=3)
    ax.axhline(0, color=style.PALETTE["black"], linewidth=0.6)
    med = float(summary["median_estimate"])
    ax.axhline(med, color=style.PALETTE["vermillion"], linewidth=0.8, linestyle="--")
    ax.text(0.01, 0.97, f"median {med:.2f} (dashed); {int(summary['n_ci_excludes_zero'])} of "
            f"{int(summary['n_fitted'])} CIs ({level:g}%) exclude 0 (blue)",
            transform=ax.transAxes, va="top", fontsize=style.FONT_SIZE - 1)
    # very wide intervals (e.g. Knapp-Hartung with k = 2) would flatten the curve: the axis
    # spans the estimates and the central 90% of the interval bounds, and says so if it clips
    bounds = np.concatenate([t["ci_lb"].to_numpy(float), t["ci_ub"].to_numpy(float)])
    lo = min(float(t["estimate"].min()), float(np.nanpercentile(bounds, 5)), 0.0)
    hi = max(float(t["estimate"].max()), float(np.nanpercentile(bounds, 95)), 0.0)
    pad = 0.05 * (hi - lo or 1.0)
    if np.nanmin(bounds) < lo - pad or np.nanmax(bounds) > hi + pad:
        ax.set_ylim(lo - pad, hi + pad)
        ax.text(0.99, 0.97, "axis clipped: some CIs extend beyond it", transform=ax.transAxes, va="top", ha="right",
                fontsize=style.FONT_SIZE - 1)
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
