"""Figure properties as a reader sees them (issue 17, item 2): legends outside the data,
readable swatches, dotted lines in legends, direction on ratio axes, wrapped titles, long
forests split over pages, no empty weight column, complete PRISMA 2020 boxes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.colors import to_rgba
from scipy import stats

from evsynth.present import plots


def _bbox(fig, artist):
    fig.canvas.draw()
    return artist.get_window_extent(fig.canvas.get_renderer())


def _texts(fig):
    return [t for t in fig.findobj(plt.Text) if t.get_text()]


def _studies(k, weights=True, labels=None, seed=1):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "label": labels if labels is not None else [f"Study {i} ({2000 + i})" for i in range(k)],
            "yi": rng.normal(0.3, 0.3, k),
            "vi": rng.uniform(0.01, 0.1, k),
            "weight": np.full(k, 100 / k) if weights else np.nan,
        }
    )
    z = stats.norm.isf(0.025)  # the results table gives the intervals; here a Wald interval
    d["ci_lb"], d["ci_ub"] = d["yi"] - z * np.sqrt(d["vi"]), d["yi"] + z * np.sqrt(d["vi"])
    return d


CONTOURS = pd.DataFrame(
    {
        "p": [0.10, 0.05, 0.01],
        "label": ["p < .10", "p < .05", "p < .01"],
        "z": [stats.norm.isf(p / 2) for p in (0.10, 0.05, 0.01)],
    }
)


POOLED = {"estimate": 0.3, "ci_lb": 0.2, "ci_ub": 0.4, "pi_lb": -0.1, "pi_ub": 0.7, "label": "Pooled (REML; k = 26)"}


def teardown_function():
    plt.close("all")


def test_funnel_legend_outside_the_data_with_readable_swatches_and_dotted_line():
    rng = np.random.default_rng(3)
    vi = rng.uniform(0.01, 0.2, 20)
    fig = plots.funnel_plot(
        rng.normal(0.2, np.sqrt(vi)),
        vi,
        0.2,
        CONTOURS,
        title="Funnel",
        xlabel="SMD",
        filled_yi=[-0.1],
        filled_vi=[0.05],
    )
    ax = fig.axes[0]
    leg = ax.get_legend()
    assert _bbox(fig, leg).x0 >= _bbox(fig, ax).x1  # entirely right of the data area
    labels = [t.get_text() for t in leg.get_texts()]
    assert "0.05 ≤ p < 0.10" in labels and "p < 0.01" in labels and "95% pseudo-confidence region" in labels
    handles = dict(zip(labels, leg.legend_handles))
    # the lightest swatch has a visible edge, so it is readable on white
    sw = handles["0.05 ≤ p < 0.10"]
    assert sw.get_edgecolor()[:3] != to_rgba("white")[:3] and sw.get_linewidth() > 0
    assert handles["95% pseudo-confidence region"].get_linestyle() == ":"
    assert plots.FUNNEL_MIN_K == 10


def test_ratio_axis_says_what_direction_means_on_that_scale():
    lab = plots.direction_label("Odds ratio", "improvement", ratio=True)
    assert "above 1 = improvement" in lab and "positive" not in lab and "log scale" in lab
    assert plots.direction_label("SMD", "improvement") == "SMD (positive = improvement)"
    assert "above 1 = higher risk" in plots.direction_label("Risk ratio", "risk", ratio=True)


def test_bubble_title_wrapped_to_the_plot_and_legend_outside():
    x = np.arange(12.0)
    title = "Cognitive-behavioural programmes for young and adult offenders: hours of treatment per week"
    fig = plots.bubble_plot(
        x,
        x / 10,
        np.ones(12),
        x,
        x / 10,
        x / 10 - 0.1,
        x / 10 + 0.1,
        title=title,
        xlabel="hours",
        ylabel="log odds ratio (positive = improvement)",
    )
    ax = fig.axes[0]
    assert "\n" in ax.get_title(loc="left")
    assert _bbox(fig, ax.title if ax.get_title() else ax._left_title).x1 <= _bbox(fig, ax).x1
    assert _bbox(fig, ax.get_legend()).x0 >= _bbox(fig, ax).x1


def test_quality_histogram_legend_off_the_bars():
    st = pd.DataFrame(
        {"design": ["RCT"] * 20 + ["quasi-experimental"] * 5, "quality_score": [4] * 9 + [3] * 8 + [None] * 3 + [1] * 5}
    )
    fig = plots.quality_histogram(st)
    ax = fig.axes[0]
    assert _bbox(fig, ax.get_legend()).y1 <= _bbox(fig, ax).y0  # below the axes


def test_pooled_label_does_not_overlap_the_prediction_interval_label():
    fig = plots.forest_plot(_studies(26), POOLED, title="t", xlabel="SMD")
    texts = {t.get_text(): t for t in _texts(fig)}
    pooled = _bbox(fig, texts["Pooled (REML; k = 26)"])
    pi = _bbox(fig, texts["95% prediction interval"])
    assert not pooled.overlaps(pi)
    est = _bbox(fig, texts["0.30 [0.20, 0.40]"])
    pi_val = _bbox(fig, texts["[-0.10, 0.70]"])
    assert not est.overlaps(pi_val)


def test_weight_column_only_when_weights_exist():
    with_w = [t.get_text() for t in _texts(plots.forest_plot(_studies(5), POOLED, title="t", xlabel="x"))]
    assert "Weight" in with_w and "20.0%" in with_w
    without = [
        t.get_text() for t in _texts(plots.forest_plot(_studies(5, weights=False), POOLED, title="t", xlabel="x"))
    ]
    assert "Weight" not in without and not any(t.endswith("%") and t[0].isdigit() for t in without)


def test_numbered_rows_carry_a_note_that_the_source_has_no_study_names():
    labels = [f"{s} / effect {e}" for s in (1, 2) for e in (1, 2)]
    texts = [t.get_text() for t in _texts(plots.forest_plot(_studies(4, labels=labels), POOLED, title="t", xlabel="x"))]
    assert plots.NO_NAMES_NOTE in texts
    named = [t.get_text() for t in _texts(plots.forest_plot(_studies(4), POOLED, title="t", xlabel="x"))]
    assert plots.NO_NAMES_NOTE not in named


def test_a_100_row_forest_is_split_over_pages_of_at_most_40_rows():
    labels = [f"{s} / effect {e}" for s in range(1, 18) for e in range(1, 7)][:100]
    st = _studies(100, weights=False, labels=labels)
    pages = plots.forest_pages(st, POOLED, title="Long", xlabel="x")
    assert len(pages) == 3
    shown = []
    for i, f in enumerate(pages, 1):
        texts = [t.get_text() for t in _texts(f)]
        rows = [t for t in texts if " / effect " in t]
        assert len(rows) <= plots.MAX_FOREST_ROWS
        shown += rows
        assert any(f"(page {i} of 3)" in t for t in texts)
        # the pooled diamond and the PI only on the last page
        assert ("Pooled (REML; k = 26)" in texts) == (i == 3)
        # pages break between studies: no study is split over two pages
    assert shown == labels
    firsts = [[t.get_text() for t in _texts(f) if " / effect " in t.get_text()][0] for f in pages]
    assert all(s.endswith("/ effect 1") for s in firsts)
    # the same x axis on every page
    assert len({f.axes[0].get_xlim() for f in pages}) == 1
    # a short forest stays one figure
    assert len(plots.forest_pages(_studies(26), POOLED, title="t", xlabel="x")) == 1


PRISMA = {
    "identification": {
        "databases": ["Medline", "ERIC"],
        "records_identified": None,
        "duplicates_removed": None,
        "records_after_deduplication": 513,
    },
    "screening": {
        "records_screened": 513,
        "records_excluded": 432,
        "exclusion_reasons": [{"reason": "andere doelgroep (other target group)", "n": 275}],
    },
    "eligibility": {
        "full_text_assessed_articles": 68,
        "full_text_excluded_articles": 37,
        "included_from_database_search_articles": 31,
    },
    "included": {"primary_articles": 47},
}


def test_prisma_2020_has_every_box_with_not_reported_counts():
    texts = "\n".join(t.get_text() for t in _texts(plots.prisma_diagram(PRISMA)))
    assert "duplicate records removed:\nn = not reported" in texts
    assert "Reports not retrieved\nn = not reported" in texts
    assert "Reports sought for retrieval\nn = not reported" in texts
    assert "Records identified from databases" in texts and "n = 513" in texts
    # translated, with the original in brackets
    assert "other target group (andere doelgroep): 275" in texts


def test_quality_item_legends_outside_the_data():
    summ = pd.DataFrame({"item": list("ABCDEFGHIJK"), "yes": 3, "no": 2, "unclear": 1, "n": 6})
    fig = plots.rob_summary(summ)
    ax = fig.axes[0]
    assert _bbox(fig, ax.get_legend()).x0 >= _bbox(fig, ax).x1
    assess = pd.DataFrame(
        [
            {"study_id": f"s{i}", "item": it, "judgement": "yes", "rater": "consensus"}
            for i in range(3)
            for it in "ABCDEFGHIJK"
        ]
    )
    fig = plots.rob_traffic_light(assess)
    ax = fig.axes[0]
    assert _bbox(fig, ax.get_legend()).x0 >= _bbox(fig, ax).x1


def test_prisma_of_the_shipped_review_reports_what_figure_2_1_does_not_give():
    from conftest import ROOT
    from evsynth.pipeline.inputs import load_prisma

    p = load_prisma(ROOT / "data" / "holwerda2014" / "prisma.yaml")
    texts = "\n".join(t.get_text() for t in _texts(plots.prisma_diagram(p)))
    # figure 2.1 of Holwerda et al. (2014) gives 513 unique records, no count before de-duplication
    assert (
        "Records identified from databases" in texts
        and "n = not reported\nunique records after de-duplication: n = 513" in texts
    )
    assert "duplicate records removed:\nn = not reported" in texts
    assert "Reports assessed for eligibility (full text)\narticles n = 68, reviews n = 13" in texts
    assert "Studies included in the review\nprimary articles n = 47, reviews n = 10" in texts


def test_a_long_subgroup_forest_repeats_the_subgroup_header_on_the_next_page():
    st = _studies(58)
    st["group"] = ["juveniles"] * 17 + ["adults"] * 41
    sgs = [
        {"group": g, "label": f"group = {g}", "estimate": 0.3, "ci_lb": 0.2, "ci_ub": 0.4}
        for g in ("juveniles", "adults")
    ]
    pages = plots.forest_pages(
        st,
        POOLED,
        title="t",
        xlabel="x",
        subgroups=sgs,
        between="Test for subgroup differences: Q = 0.20, df = 1, p = 0.657",
    )
    assert len(pages) == 2
    second = [t.get_text() for t in _texts(pages[1])]
    assert "group = adults (continued)" in second
    assert "Test for subgroup differences: Q = 0.20, df = 1, p = 0.657" in second  # under the last page only
    assert "Test for subgroup differences: Q = 0.20, df = 1, p = 0.657" not in [t.get_text() for t in _texts(pages[0])]


def test_funnel_bands_are_labelled_from_the_contour_table_in_any_order():
    rng = np.random.default_rng(4)
    vi = rng.uniform(0.01, 0.2, 12)
    yi = rng.normal(0.2, np.sqrt(vi))
    shuffled = CONTOURS.iloc[[2, 0, 1]]
    leg = plots.funnel_plot(yi, vi, 0.2, shuffled, title="t", xlabel="x").axes[0].get_legend()
    assert [t.get_text() for t in leg.get_texts()][:4] == ["p ≥ 0.10", "0.05 ≤ p < 0.10", "0.01 ≤ p < 0.05", "p < 0.01"]
