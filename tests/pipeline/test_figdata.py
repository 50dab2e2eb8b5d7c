"""The tables the figures draw (written by the fit stage), against metafor: forest-plot
intervals, bubble-plot lines with their confidence bands, funnel contours
(tests/r/figure_tables.R writes tests/r/figure_tables_expected.csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, shipped_effects
from evsynth.pipeline.figdata import figure_tables
from evsynth.pipeline.job import AnalysisJob

EXPECTED = pd.read_csv(ROOT / "tests/r/figure_tables_expected.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def landenberger():
    cfg, spec, eff = shipped_effects("landenberger2005")
    assert eff.attrs["dropped"] == []  # the R script uses every row too
    return spec, figure_tables(AnalysisJob(eff, spec, float(cfg["level"])))


def test_forest_rows_are_the_wald_intervals_metafor_draws(landenberger):
    _, t = landenberger
    want = EXPECTED[EXPECTED["what"] == "forest"]
    got = t["figure_forest"]
    assert len(got) == len(want) == 58
    np.testing.assert_allclose(got["ci_lb"], want["value_1"], rtol=1e-10)
    np.testing.assert_allclose(got["ci_ub"], want["value_2"], rtol=1e-10)
    assert got["weight"].sum() == pytest.approx(100)  # model weights in percent


@pytest.mark.parametrize("moderator", ["sessions", "hrs_week", "hrs_total", "length"])
def test_bubble_lines_match_metafor_predict(landenberger, moderator):
    """predict(rma(yi, vi, mods = x, test = "knha"), newmods = grid): the band uses the
    t critical value of the Knapp-Hartung test, not a value recovered from a CI width."""
    _, t = landenberger
    want = EXPECTED[(EXPECTED["what"] == "bubble") & (EXPECTED["moderator"] == moderator)]
    got = t["figure_bubble"][t["figure_bubble"]["moderator"] == moderator]
    assert len(got) == len(want) == 100
    np.testing.assert_allclose(got["x"], want["x"], rtol=1e-12)
    np.testing.assert_allclose(got["pred"], want["value_1"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got["ci_lb"], want["value_2"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got["ci_ub"], want["value_3"], rtol=1e-6, atol=1e-8)
    pts = t["figure_bubble_points"][t["figure_bubble_points"]["moderator"] == moderator]
    assert len(pts) > 0 and pts["weight"].notna().all()


def test_funnel_contours_are_normal_critical_values(landenberger):
    _, t = landenberger
    want = EXPECTED[EXPECTED["what"] == "funnel"]
    np.testing.assert_allclose(t["figure_funnel"]["p"], want["x"])
    np.testing.assert_allclose(t["figure_funnel"]["z"], want["value_1"], rtol=1e-12)


def test_scale_says_how_a_ratio_measure_is_drawn(landenberger):
    spec, t = landenberger
    s = t["scale"].iloc[0]
    assert bool(s["log_axis"]) and s["back_transform"] == "exp"
    assert s["measure_label"] == spec["effect"]["scale"]
    # a ratio axis says what a direction means on that scale (issue 17: not "positive = improvement")
    assert s["axis_label"] == "Odds ratio (log scale; above 1 = improvement, below 1 = the opposite)"
