"""The plotting verbs (evsynth.api.plots, issue 26 item 3): what is drawn -- number of points and
lines, their coordinates, labels, axes -- compared with metafor's numbers for dat.bcg
(tests/r/frontend.R -> tests/r/frontend.json: the study intervals, baujat's x/y, radial's
coordinates, the influence statistics, the L'Abbé risks, GOSH over the 63 subsets of six studies)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evsynth import baujat, escalc, forest, funnel, gosh, labbe, plot_influence, radial, rma  # noqa: E402
from evsynth.errors import InputError  # noqa: E402
from conftest import ROOT

HERE = ROOT / "tests" / "r"
R = json.loads((HERE / "frontend.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dat():
    bcg = pd.read_csv(HERE / "dat_bcg.csv")
    return escalc(
        "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=bcg, slab=bcg["author"] + ", " + bcg["year"].astype(str)
    )


@pytest.fixture(scope="module")
def fit(dat):
    return rma(dat)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def artists(ax, label):
    found = [a for a in ax.get_children() if a.get_label() in (label, "_" + label)]
    return found


def close(a, b, rtol=1e-7, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=atol)


def test_forest_draws_every_study_with_its_interval_and_the_diamond(fit):
    fig = forest(fit)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    pts = artists(ax, "studies")[0].get_offsets()
    assert len(pts) == 13
    close(pts[:, 0], R["escalc_rr"]["yi"])
    ci = artists(ax, "ci")
    assert len(ci) == 13
    close([line.get_xdata()[0] for line in ci], R["escalc_rr"]["ci_lb"])
    close([line.get_xdata()[1] for line in ci], R["escalc_rr"]["ci_ub"])
    diamond = artists(ax, "summary")[0].get_xy()[:4, 0]
    close(
        sorted(diamond),
        sorted([R["rma_re"]["ci_lb"], R["rma_re"]["beta"], R["rma_re"]["beta"], R["rma_re"]["ci_ub"]]),
        rtol=1e-6,
    )
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == R["escalc_rr"]["slab"] + ["RE Model"]
    # the right-hand annotations: metafor's forest(..., atransf=exp) prints 0.41 [0.13, 1.26] for Aronson
    assert len(ax.texts) == 14  # one annotation per study and the summary's
    exp_texts = [t.get_text() for t in forest(fit, transf=np.exp).axes[0].texts]
    assert exp_texts[1] == "0.41 [0.13, 1.26]"  # Aronson, as metafor's forest(res, atransf=exp) prints it
    assert exp_texts[0] == "0.49 [0.34, 0.70]"  # the RE model's exp(beta) [exp(ci.lb), exp(ci.ub)]


def test_forest_atransf_keeps_the_log_axis_and_labels_ratios(fit):
    ax = forest(fit, atransf=np.exp).axes[0]
    close(artists(ax, "studies")[0].get_offsets()[:, 0], R["escalc_rr"]["yi"])  # positions on the log scale
    assert [t.get_text() for t in ax.texts][1] == "0.41 [0.13, 1.26]"
    fmt = ax.xaxis.get_major_formatter()
    assert fmt(np.log(0.5), 0) == "0.50" and fmt(0.0, 0) == "1.00"


def test_forest_on_a_given_axes_and_a_meta_regression(dat):
    reg = rma("yi", "vi", mods="~ ablat", data=dat)
    fig = Figure()
    ax = fig.add_subplot(1, 2, 2)
    assert forest(reg, ax=ax) is fig
    fitted = artists(ax, "fitted")[0].get_offsets()[:, 0]
    ablat = dat["ablat"].to_numpy(float)
    close(fitted, R["rma_ablat"]["beta"][0] + R["rma_ablat"]["beta"][1] * ablat, rtol=1e-6)
    assert not artists(ax, "summary")


def test_forest_of_a_multilevel_fit_sizes_every_square():
    from evsynth import rma_mv

    k11 = pd.read_csv(HERE / "dat_konstantopoulos2011.csv")
    fit = rma_mv("yi", "vi", random="~ 1 | district/school", data=k11)
    ax = forest(fit, annotate=False).axes[0]
    pts = artists(ax, "studies")[0]
    assert len(pts.get_offsets()) == 56
    sizes = pts.get_sizes()
    assert np.all(np.isfinite(sizes)) and np.all(sizes > 0)
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["Study 1", "Study 2"]
    diamond = artists(ax, "summary")[0].get_xy()[:4, 0]
    close(sorted(diamond)[1:3], [R["rma_mv_nested"]["beta"]] * 2, rtol=1e-6)


def test_funnel_points_and_region(fit):
    fig = funnel(fit)
    ax = fig.axes[0]
    pts = artists(ax, "studies")[0].get_offsets()
    close(pts[:, 0], R["funnel"]["x"])
    close(pts[:, 1], R["funnel"]["y"])
    lo, hi = artists(ax, "region")
    se = lo.get_ydata()
    close(lo.get_xdata(), R["funnel"]["estimate"] - 1.959963984540054 * se, rtol=1e-9)
    close(hi.get_xdata(), R["funnel"]["estimate"] + 1.959963984540054 * se, rtol=1e-9)
    y0, y1 = ax.get_ylim()
    assert y0 > y1 == 0  # standard error axis inverted, 0 at the top
    refline = artists(ax, "refline")[0]
    close(refline.get_xdata()[0], R["funnel"]["estimate"], rtol=1e-6)


def test_funnel_of_a_meta_regression_draws_residuals(dat):
    ax = funnel(rma("yi", "vi", mods="~ ablat", data=dat)).axes[0]
    pts = artists(ax, "studies")[0].get_offsets()
    close(pts[:, 0], R["funnel_ablat"]["x"], rtol=1e-6)
    close(pts[:, 1], R["funnel_ablat"]["y"], rtol=1e-6)
    assert artists(ax, "refline")[0].get_xdata()[0] == 0
    assert ax.get_xlabel() == "Residual Value"


def test_funnel_contours(fit):
    ax = funnel(fit, contours=[90, 95, 99]).axes[0]
    bands = [a for a in ax.patches if a.get_label().startswith("contour")]
    assert sorted(b.get_label() for b in bands) == ["contour 90", "contour 95", "contour 99"]
    b99 = next(b for b in bands if b.get_label() == "contour 99").get_xy()
    top = b99[:, 1].max()
    close(np.abs(b99[:, 0]).max(), 2.5758293035489004 * top, rtol=1e-9)  # centred on 0, qnorm(.995)


def test_baujat_matches_metafor(fit):
    fig = baujat(fit)
    pts = artists(fig.axes[0], "studies")[0].get_offsets()
    close(pts[:, 0], R["baujat"]["x"], rtol=1e-6)
    close(pts[:, 1], R["baujat"]["y"], rtol=1e-5)
    assert [t.get_text() for t in fig.axes[0].texts] == R["baujat"]["slab"]


def test_radial_coordinates(fit):
    ax = radial(fit).axes[0]
    pts = artists(ax, "studies")[0].get_offsets()
    close(pts[:, 0], R["radial"]["x"], rtol=1e-6)
    close(pts[:, 1], R["radial"]["y"], rtol=1e-6)
    est = artists(ax, "estimate")[0]
    slope = np.diff(est.get_ydata()) / np.diff(est.get_xdata())
    close(slope, [R["rma_re"]["beta"]], rtol=1e-6)


def test_labbe_risks(fit):
    ax = labbe(fit).axes[0]
    pts = artists(ax, "studies")[0].get_offsets()
    close(pts[:, 0], R["labbe"]["x"], rtol=1e-12)
    close(pts[:, 1], R["labbe"]["y"], rtol=1e-12)
    assert ax.get_xlabel() == "Log Risk (Group 2)"
    with pytest.raises(InputError, match="2x2"):
        labbe(rma("yi", "vi", data=pd.DataFrame({"yi": [0.1, 0.2, 0.3], "vi": [0.1, 0.1, 0.1]})))


def test_plot_influence_panels(fit):
    fig = plot_influence(fit)
    axes = fig.axes
    assert [a.get_title() for a in axes] == [
        "rstudent",
        "dffits",
        "cook.d",
        "cov.r",
        "tau2.del",
        "QE.del",
        "hat",
        "weight",
    ]
    exp = R["influence"]
    for ax, key, rtol in zip(
        axes, ["rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "QE_del", "hat", "weight"], [1e-5] * 8
    ):
        line = artists(ax, "values")[0]
        assert list(line.get_xdata()) == list(range(1, 14))
        close(line.get_ydata(), exp[key], rtol=rtol, atol=1e-8)
    infl = artists(axes[0], "influential")
    assert len(infl[0].get_offsets()) == sum(exp["is_infl"]) if infl else sum(exp["is_infl"]) == 0


def test_plot_influence_on_given_axes(fit):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4)
    assert plot_influence(fit, ax=axes) is fig
    assert axes[1, 3].get_title() == "weight"
    close(artists(axes[0, 2], "values")[0].get_ydata(), R["influence"]["cook_d"], rtol=1e-5)
    with pytest.raises(InputError, match="8 Axes"):
        plot_influence(fit, ax=axes[0])


def test_gosh_all_subsets_of_six(dat):
    g = gosh(rma(dat.iloc[:6].reset_index(drop=True)))
    exp = R["gosh6"]
    assert len(g.estimate) == exp["n"] == 63
    incl = [[i] if isinstance(i, int) else i for i in exp["incl"]]
    assert [list(np.flatnonzero(r) + 1) for r in g.incl] == incl
    close(g.estimate, exp["estimate"], rtol=1e-6)
    close(g.I2, exp["I2"], rtol=1e-5, atol=1e-6)
    pts = artists(g.plot().axes[0], "subsets")[0].get_offsets()
    assert len(pts) == 63
    with pytest.raises(InputError, match="max_k"):
        gosh(rma(dat), max_k=10)


def test_plots_refuse_what_is_not_a_fit():
    with pytest.raises(InputError, match="fitted model"):
        forest({"yi": [1, 2]})
