"""Effect sizes and conversions, against worked examples from the literature and second
implementations (scipy, statsmodels).  The escalc measures themselves are checked
against metafor in test_golden.py."""

import numpy as np
import pytest
from scipy import stats

from evsynth.engine import effects as es
from evsynth.review.extraction import convert_row


def test_hedges_g_borenstein_worked_example():
    # Borenstein, Hedges, Higgins & Rothstein (2009), Introduction to Meta-Analysis, ch. 4,
    # pp. 26-27: means 103 / 100, SDs 5.5 / 4.5, n = 50 / 50 -> d = 0.5970, g = 0.5924
    r = es.escalc("SMD", m1i=[103], sd1i=[5.5], n1i=[50], m2i=[100], sd2i=[4.5], n2i=[50])
    assert r.yi[0] == pytest.approx(0.5924, abs=1e-4)
    assert es.hedges_correction(98) == pytest.approx(0.9923, abs=1e-4)


def test_d_logor_r_conversions_borenstein_ch7():
    # Borenstein et al. (2009), ch. 7, pp. 47-49
    lo, vlo = es.d_to_logor(0.5, 0.0205)
    assert (lo, vlo) == pytest.approx((0.9069, 0.0674), abs=1e-4)
    d, vd = es.logor_to_d(0.9069, 0.0676)
    assert (d, vd) == pytest.approx((0.5000, 0.0205), abs=1e-4)
    d, vd = es.r_to_d(0.50, 0.0058)
    assert (d, vd) == pytest.approx((1.1547, 0.0550), abs=1e-4)
    r, vr = es.d_to_r(1.1547, 0.0550, 50, 50)
    assert (r, vr) == pytest.approx((0.5000, 0.0058), abs=1e-4)


MEANS = dict(m1=24.0, sd1=6.0, n1=35, m2=20.5, sd2=7.0, n2=40)


def _g_from_means():
    r = es.escalc(
        "SMD",
        m1i=[MEANS["m1"]],
        sd1i=[MEANS["sd1"]],
        n1i=[MEANS["n1"]],
        m2i=[MEANS["m2"]],
        sd2i=[MEANS["sd2"]],
        n2i=[MEANS["n2"]],
    )
    return r.yi[0], r.vi[0]


def test_g_from_t_equals_g_from_means_via_scipy_t():
    t, p = stats.ttest_ind_from_stats(MEANS["m1"], MEANS["sd1"], MEANS["n1"], MEANS["m2"], MEANS["sd2"], MEANS["n2"])
    g, v = es.d_from_t(t, MEANS["n1"], MEANS["n2"])
    assert (g, v) == pytest.approx(_g_from_means(), rel=1e-10)
    gf, vf = es.d_from_f(t**2, MEANS["n1"], MEANS["n2"], sign=1)
    assert (gf, vf) == pytest.approx(_g_from_means(), rel=1e-10)
    gp, vp = es.d_from_p(p, MEANS["n1"], MEANS["n2"], sign=1)
    assert (gp, vp) == pytest.approx(_g_from_means(), rel=1e-8)


def test_convert_row_uses_the_reported_statistic():
    t, p = stats.ttest_ind_from_stats(MEANS["m1"], MEANS["sd1"], MEANS["n1"], MEANS["m2"], MEANS["sd2"], MEANS["n2"])
    g0, _ = _g_from_means()
    for row, formula in [
        ({"t": t, "n1": 35, "n2": 40}, "from independent-samples t"),
        ({"f": t**2, "n1": 35, "n2": 40, "sign": 1}, "from F"),
        ({"p": p, "n1": 35, "n2": 40, "sign": 1}, "from two-sided p"),
        ({**MEANS}, "from means and SDs"),
    ]:
        g, v, f = convert_row(row)
        assert g == pytest.approx(g0, rel=1e-8) and formula in f


def test_odds_ratio_with_ci_against_statsmodels():
    from statsmodels.stats.contingency_tables import Table2x2

    tab = Table2x2(np.array([[30, 20], [18, 32]]))
    lo, hi = tab.oddsratio_confint()
    g, v, f = convert_row({"or": tab.oddsratio, "or_ci_lb": lo, "or_ci_ub": hi})
    assert g == pytest.approx(tab.log_oddsratio * np.sqrt(3) / np.pi, rel=1e-10)
    assert v == pytest.approx(tab.log_oddsratio_se**2 * 3 / np.pi**2, rel=1e-6)
    ge, ve, _ = convert_row({"events1": 30, "total1": 50, "events2": 18, "total2": 50})
    assert ge == pytest.approx(g, rel=1e-10) and ve == pytest.approx(v, rel=1e-6)


def test_prepost_matches_metafor_smcr():
    # metafor 3.8-1: escalc("SMCR", m1i=24.5, m2i=20.1, sd1i=6.2, ni=40, ri=0.6)
    # -> yi = 0.6959268791, vi = 0.0260539278
    g, v = es.d_from_prepost(m_pre=20.1, m_post=24.5, sd_pre=6.2, n=40, r=0.6)
    assert (g, v) == pytest.approx((0.6959268791, 0.0260539278), rel=1e-8)


def test_partial_correlation_matches_metafor_pcor():
    # metafor 3.8-1: escalc("PCOR", ti=4.61, ni=218, mi=4) -> 0.3012029208, 0.0038816164
    r, v = es.partial_r_from_t(4.61, 218, 4)
    assert (r, v) == pytest.approx((0.3012029208, 0.0038816164), rel=1e-8)


def test_continuity_correction_only_for_zero_cells():
    r = es.escalc("OR", ai=[0, 5], bi=[10, 10], ci=[3, 3], di=[9, 9])
    assert list(r.corrected) == [True, False]
    assert r.yi[0] == pytest.approx(np.log(0.5 * 9.5 / (10.5 * 3.5)))


@pytest.mark.parametrize(
    "measure,x,want", [("OR", 0.0, 1.0), ("PLO", 0.0, 0.5), ("ZCOR", np.arctanh(0.3), 0.3), ("SMD", 0.4, 0.4)]
)
def test_back_transform(measure, x, want):
    assert es.back_transform(x, measure) == pytest.approx(want)


def test_bad_conversions_fail_clearly():
    from evsynth.errors import InputError

    with pytest.raises(InputError, match="strictly between 0 and 1"):
        es.d_from_p(1.2, 10, 10)
    with pytest.raises(InputError, match="non-negative"):
        es.d_from_f(-1, 10, 10)
    with pytest.raises(InputError, match="inside its confidence interval"):
        convert_row({"or": 5.0, "or_ci_lb": 1.0, "or_ci_ub": 2.0})
    with pytest.raises(InputError, match="unknown effect-size measure"):
        es.escalc("XYZ", ai=[1])
