"""The engine's verbs as a metafor user meets them (issue 22 item 8, issue 23 item 3, issue 26
items 2 and 4): strict and named arguments, level as metafor reads it, one predict, escalc's
vtype / add / to / drop00, ranktest exact at every k, every diagnostic taking a fit, printouts
column by column as metafor's, step halving of Fisher scoring and the NaN bound of confint_mv.

Expected values: tests/r/engine_api.json, written by tests/r/engine_api.R (metafor 3.8.1).
"""

import json
import warnings

import numpy as np
import pytest

import evsynth
import evsynth.engine
from evsynth.engine import (
    confint_mv,
    escalc,
    fsn,
    pet_peese,
    predict,
    ranktest,
    regtest,
    rma,
    rma_batch,
    rma_mv,
    selmodel,
    trimfill,
)
from evsynth.engine import estimators
from evsynth.errors import ConvergenceError, InputError

from conftest import ROOT, SHARED

R = json.loads((ROOT / "tests" / "r" / "engine_api.json").read_text(encoding="utf-8"))
DATA = ROOT / "data" / "external"
RTOL = 1e-8


@pytest.fixture(scope="module")
def bcg():
    return np.asarray(R["bcg"]["yi"]), np.asarray(R["bcg"]["vi"]), np.asarray(R["bcg"]["ablat"], float)


# ------------------------------------------------------------------------------ printouts


def _lines(text) -> list[str]:
    """Lines without leading/trailing blank ones, metafor's typographic quotes as ASCII."""
    lines = [
        ln.rstrip().replace("\u2018", "'").replace("\u2019", "'")
        for ln in (text if isinstance(text, list) else text.split("\n"))
    ]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _ours(text: str) -> list[str]:
    """evsynth's printout less the prediction-interval line it adds after metafor's text."""
    out = _lines(text)
    if out and out[-1].startswith("Prediction interval:"):
        out = _lines(out[:-1])
    return out


@pytest.mark.parametrize("case", ["rma_reml", "rma_knha", "rma_mods", "rma_ee", "rma_ee_mods_knha"])
def test_rma_prints_as_metafor_line_by_line(bcg, case):
    y, v, ablat = bcg
    fit = {
        "rma_reml": lambda: rma(y, v),
        "rma_knha": lambda: rma(y, v, test="knha"),
        "rma_mods": lambda: rma(y, v, ablat, coef_names=["ablat"]),
        "rma_ee": lambda: rma(y, v, method="EE"),
        "rma_ee_mods_knha": lambda: rma(y, v, ablat, coef_names=["ablat"], method="EE", test="knha"),
    }[case]()
    assert _ours(fit.summary()) == _lines(R["prints"][case])


@pytest.mark.parametrize("case", ["rma_mv", "rma_mv_year_t"])
def test_rma_mv_prints_as_metafor_line_by_line(case):
    pd = pytest.importorskip("pandas")
    path = SHARED / "golden" / "data" / "konstantopoulos2011.csv"
    if not path.exists():
        pytest.skip("../shared/golden is not beside the repository")
    d = pd.read_csv(path)
    mods = None if case == "rma_mv" else d[["year"]].to_numpy(float)
    fit = rma_mv(
        d["yi"],
        d["vi"],
        [d["district"], d["school"]],
        mods,
        coef_names=["year"] if mods is not None else None,
        group_names=["district", "school"],
        test="z" if mods is None else "t",
    )
    assert _ours(fit.summary()) == _lines(R["prints"][case])


@pytest.mark.parametrize("case", ["rma_mh_or", "rma_peto"])
def test_mantel_haenszel_and_peto_print_as_metafor(case):
    t = {k: np.asarray(x, float) for k, x in R["escalc_data"]["bcg"].items()}
    fit = evsynth.rma_mh("OR", **t) if case == "rma_mh_or" else evsynth.rma_peto(**t)
    assert _ours(fit.summary()) == _lines(R["prints"][case])


@pytest.mark.parametrize("case", ["robust_mv", "robust_mv_year"])
def test_robust_prints_as_metafor_with_clubsandwich(case):
    pd = pytest.importorskip("pandas")
    path = SHARED / "golden" / "data" / "konstantopoulos2011.csv"
    if not path.exists():
        pytest.skip("../shared/golden is not beside the repository")
    d = pd.read_csv(path)
    fit = rma_mv(d["yi"], d["vi"], d[["district", "school"]], None if case == "robust_mv" else d[["year"]])
    assert _lines(evsynth.engine.robust(fit, d["district"]).summary()) == _lines(R["prints"][case])


def test_rma_mv_takes_a_data_frame_or_named_series_as_groups():
    """issue 26: a DataFrame as groups gave numpy's 'truth value of a DataFrame is ambiguous';
    its columns are now the levels and name the components as metafor does."""
    pd = pytest.importorskip("pandas")
    path = SHARED / "golden" / "data" / "konstantopoulos2011.csv"
    if not path.exists():
        pytest.skip("../shared/golden is not beside the repository")
    d = pd.read_csv(path)
    a = rma_mv(d["yi"], d["vi"], d[["district", "school"]])
    b = rma_mv(d["yi"], d["vi"], [d["district"].to_numpy(), d["school"].to_numpy()])
    assert a.s_names == ["district", "district/school"] and b.s_names == ["level1", "level1/level2"]
    np.testing.assert_array_equal(a.sigma2, b.sigma2)
    assert _lines(R["prints"]["rma_mv"])[5].split()[-1] == "district"  # metafor's name of the first component
    with pytest.raises(InputError, match="not the name 'district'"):
        rma_mv(d["yi"], d["vi"], "district")


def test_a_named_series_of_moderators_names_its_coefficient(bcg):
    pd = pytest.importorskip("pandas")
    y, v, ablat = bcg
    f = rma(y, v, pd.Series(ablat, name="ablat"))
    assert f.coef_names == ["intrcpt", "ablat"]
    assert _ours(f.summary()) == _lines(R["prints"]["rma_mods"])


def test_intercept_only_knapp_hartung_prints_no_moderator_test(bcg):
    y, v, _ = bcg
    text = rma(y, v, test="knha").summary()
    assert "Test of Moderators" not in text and "p-val < .0001" in text


@pytest.mark.parametrize(
    "case, call",
    [
        ("fsn_rosenthal", lambda y, v: fsn(y, v)),
        ("fsn_orwin", lambda y, v: fsn(y, v, type="Orwin")),
        ("fsn_rosenberg", lambda y, v: fsn(y, v, type="Rosenberg")),
        ("ranktest", lambda y, v: ranktest(rma(y, v))),
        ("regtest", lambda y, v: regtest(rma(y, v))),
        ("trimfill", lambda y, v: trimfill(rma(y, v))),
        ("confint", lambda y, v: evsynth.confint_tau2(rma(y, v), tol="metafor")),  # metafor's root-search tolerance
    ],
)
def test_diagnostics_print_as_metafor(bcg, case, call):
    y, v, _ = bcg
    text = call(y, v).summary()
    assert _ours(text) == _lines(R["prints"][case])
    assert "p = <" not in text and "= < " not in text


def test_leave1out_prints_small_p_values_as_metafor_does_in_tables(bcg):
    y, v, _ = bcg
    text = evsynth.leave1out(rma(y, v)).summary()
    assert "<.0001" in text and "0.0000" not in text


# ------------------------------------------------------------------------------ predict and level


def test_predict_method_and_verb_are_one_and_match_metafor(bcg):
    y, v, ablat = bcg
    fit = rma(y, v, ablat, coef_names=["ablat"], test="knha")
    want, want_exp = R["predict"]["kh"], R["predict"]["kh_exp"]
    nm = np.asarray(R["predict"]["newmods"], float)
    p = fit.predict(nm)
    for ours, theirs in (
        ("pred", "pred"),
        ("se", "se"),
        ("ci_lb", "ci_lb"),
        ("ci_ub", "ci_ub"),
        ("pi_lb", "pi_lb"),
        ("pi_ub", "pi_ub"),
    ):
        np.testing.assert_allclose(getattr(p, ours), want[theirs], rtol=1e-6)
    a, b = fit.predict(nm, transf=np.exp), predict(fit, nm, transf=np.exp)
    for f in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        np.testing.assert_allclose(getattr(a, f), want_exp[f], rtol=1e-6)


def test_predictions_print_as_metafor(bcg):
    y, v, ablat = bcg
    fit = rma(y, v, ablat, coef_names=["ablat"], test="knha")
    nm = np.asarray(R["predict"]["newmods"], float)
    assert _lines(fit.predict(nm).summary()) == _lines(R["prints"]["predict_kh"])
    assert _lines(predict(fit, nm, transf=np.exp).summary()) == _lines(R["prints"]["predict_kh_exp"])
    assert _lines(rma(y, v).predict().summary()) == _lines(R["prints"]["predict_re"])
    assert _lines(rma(y, v, method="EE").predict().summary()) == _lines(R["prints"]["predict_ee"])


def test_fitstats_and_wald_contrasts_print_as_metafor(bcg):
    y, v, ablat = bcg
    assert _lines(evsynth.fitstats(rma(y, v)).summary()) == _lines(R["prints"]["fitstats"])
    f = rma(y, v, ablat, coef_names=["ablat"], method="ML")
    assert _lines(evsynth.anova(f, L=[[1, 10], [1, 50]]).summary()) == _lines(R["prints"]["anova_wald"])
    lrt = evsynth.anova(f, rma(y, v, method="ML"))
    assert _lines(lrt.summary()) == _lines(R["prints"]["anova_lrt"])  # wrapped at 80 characters as R


def test_exact_permutation_test_prints_as_metafor(bcg):
    y, v, ablat = bcg
    f = rma(y[:6], v[:6], ablat[:6], coef_names=["ablat"], method="DL")  # (DL: no iteration-stopping differences)
    r = evsynth.permutest(f, exact=True)
    assert r.iterations == 720  # every ordering (metafor enumerates the 360 distinct ones: the same p-values)
    want = _lines(R["prints"]["permutest_exact"])
    assert want[0].startswith("Running 360 iterations")  # printed by metafor's permutest() itself, not its print
    assert _lines(r.summary()) == _lines(want[1:])


def test_predict_defaults_as_metafor(bcg):
    y, v, ablat = bcg
    fit = rma(y, v, ablat, coef_names=["ablat"], test="knha")
    want = R["predict"]["fitted_90"]  # newmods None: the fitted value of every study; level 0.9 = 90 %
    p = fit.predict(level=0.9)
    np.testing.assert_allclose(p.pred, want["pred"], rtol=1e-6)
    np.testing.assert_allclose(p.pi_ub, want["pi_ub"], rtol=1e-6)
    ee = rma(y, v, method="EE").predict()
    assert not R["predict"]["ee"]["has_pi"] and ee.pi_lb is None
    np.testing.assert_allclose(ee.ci_lb, R["predict"]["ee"]["ci_lb"], rtol=1e-6)


def test_level_as_proportion_or_percent(bcg):
    y, v, _ = bcg
    assert R["level"]["same_as_90"]
    for level in (0.9, 90, 90.0):
        f = rma(y, v, level=level)
        np.testing.assert_allclose([f.ci_lb[0], f.ci_ub[0]], [R["level"]["ci_lb"], R["level"]["ci_ub"]], rtol=1e-6)
    with pytest.raises(InputError, match="level"):
        rma(y, v, level=120)
    with pytest.raises(InputError, match="level"):
        evsynth.confint_tau2(rma(y, v), level="95")


# ------------------------------------------------------------------------------ escalc


def _escalc_args(case):
    d = R["escalc_data"][case["args"]]
    return {k: np.asarray(x, float) for k, x in d.items()}


@pytest.mark.parametrize("name", sorted(R["escalc"]))
def test_escalc_vtype_add_to_drop00_as_metafor(name):
    case = R["escalc"][name]
    kw = {}
    if "to" in case:
        kw["to"] = case["to"]
    if case.get("add") is not None:
        kw["add"] = case["add"]
    if case.get("drop00"):
        kw["drop00"] = True
    if "vtype" in case:
        kw["vtype"] = case["vtype"]
    r = escalc(case["measure"], **_escalc_args(case), **kw)
    want_y = np.array([np.nan if x is None else x for x in case["yi"]], float)
    want_v = np.array([np.nan if x is None else x for x in case["vi"]], float)
    np.testing.assert_allclose(r.yi, want_y, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(r.vi, want_v, rtol=1e-10, equal_nan=True)


def test_escalc_refuses_unknown_keywords_and_mismatched_lengths():
    with pytest.raises(TypeError, match="vtyp"):
        escalc("SMD", m1i=[1.0], sd1i=[1.0], n1i=[10], m2i=[0.5], sd2i=[1.0], n2i=[10], vtyp="UB")
    with pytest.raises(TypeError, match="data"):
        escalc("OR", data={"ai": [1]})
    with pytest.raises(InputError, match="ai has 3 values but bi has 2"):
        escalc("OR", ai=[1, 2, 3], bi=[4, 5], ci=[1, 2, 3], di=[3, 4, 5])
    with pytest.raises(InputError, match="vtype"):
        escalc("OR", ai=[1], bi=[2], ci=[3], di=[4], vtype="UB")
    with pytest.raises(InputError, match="to: must be one of"):
        escalc("OR", ai=[1], bi=[2], ci=[3], di=[4], to="some")


def test_rma_takes_an_escalc_result_or_frame():
    case = R["escalc"]["OR_none_bcg"]
    es = escalc("OR", **_escalc_args(case), to="none")
    a, b, c = rma(es), rma(es.to_frame()), rma(es.yi, es.vi)
    assert a.tau2 == b.tau2 == c.tau2 and a.beta[0] == c.beta[0]
    with pytest.raises(InputError, match="vi: missing"):
        rma([0.1, 0.2, 0.3])


# ------------------------------------------------------------------------------ diagnostics take a fit


@pytest.mark.parametrize("name", sorted(R["ranktest"]))
def test_ranktest_exact_and_approximate_as_metafor(name):
    case = R["ranktest"][name]
    y, v = np.asarray(case["yi"], float), np.asarray(case["vi"], float)
    r = ranktest(y, v, exact=case.get("exact", True))
    assert r.kendall_tau == pytest.approx(case["tau"], rel=1e-10)
    assert r.pval == pytest.approx(case["pval"], rel=1e-8)
    if name == "landenberger_k58":  # the case: exact at k = 58 (0.0024; the approximation 0.0026)
        assert r.exact and round(r.pval, 4) == 0.0024
        assert ranktest(rma(y, v)).pval == r.pval  # from the fit


def test_every_diagnostic_takes_a_fit(bcg):
    y, v, ablat = bcg
    f = rma(y, v)
    assert fsn(f).fsnum == fsn(y, v).fsnum
    assert pet_peese(f).estimate == pet_peese(y, v).estimate
    assert ranktest(f).pval == ranktest(y, v).pval
    with pytest.raises(Exception, match="without moderators"):
        ranktest(rma(y, v, ablat))


def test_selmodel_type_stepfun_as_metafor(bcg):
    y, v, _ = bcg
    s = selmodel(rma(-y, v, method="ML"), type="stepfun", steps=[0.05])
    want = R["selmodel"]
    assert s.beta[0] == pytest.approx(want["beta"], rel=1e-4)
    assert s.tau2 == pytest.approx(want["tau2"], rel=1e-3)
    np.testing.assert_allclose(s.delta, want["delta"], rtol=1e-3)
    assert s.LRT == pytest.approx(want["LRT"], rel=1e-3, abs=1e-6)
    ours, want = _lines(s.summary()), _lines(R["prints"]["selmodel"])
    assert len(ours) == len(want)
    for a, b in zip(ours, want):
        if a.startswith("0.05 < p <= 1"):  # delta's p-value from the numerical Hessian: 0.9112 vs numDeriv's 0.9111
            ta, tb = a.split(), b.split()
            assert ta[:9] == tb[:9] and ta[10:] == tb[10:] and abs(float(ta[9]) - float(tb[9])) <= 1e-4
        else:
            assert a == b
    with pytest.raises(InputError, match="type 'beta' is not available"):
        selmodel(rma(y, v), type="beta")


# ------------------------------------------------------------------------------ bad input named


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda y, v: rma(np.r_[y[:-1], np.nan], v), r"yi: effect size is missing or not finite in row\(s\) 13"),
        (lambda y, v: rma(y, np.r_[v[:-1], -0.1]), r"vi: sampling variance must be > 0; found -0.1 in row\(s\) 13"),
        (lambda y, v: rma(y, v, mods=[1, 2, 3]), "mods has 3 rows but yi has 13 values"),
        (lambda y, v: rma(y, v, mods=["a"] * 13), "mods: must be numeric"),
        (lambda y, v: rma(y, v, mods=np.r_[np.ones(12), np.nan]), "mods: missing or not finite value in row 13"),
        (lambda y, v: rma(["x"] * 13, v), "yi: must be numeric"),
        (lambda y, v: rma(y, np.r_[v[:-1], 1e300]), r"vi: sampling variance 1e\+300 in row\(s\) 13"),
        (lambda y, v: rma(y, v[:5]), "yi has 13 values but vi has 5"),
        (
            lambda y, v: rma_batch([[0.1, 0.2, 0.3], [0.1, 0.2]], [[0.01, 0.02, 0.03], [0.01, 0.02]]),
            "yi: rows of different lengths",
        ),
        (lambda y, v: rma_batch(np.ones((2, 3)), np.full((2, 3), 1e300)), "vi: sampling variance 1e"),
        (lambda y, v: ranktest(np.r_[y[:-1], np.nan], v), "yi: effect size is missing"),
        (lambda y, v: fsn(y, -v), "vi: sampling variance must be > 0"),
        (lambda y, v: pet_peese(y, v[:3]), "yi has 13 values but vi has 3"),
        (lambda y, v: rma(y, v).predict([[1.0, 2.0]]), "newmods has 2 column"),
        (lambda y, v: evsynth.cumul(rma(y, v), [1, 2]), "order has 2 value"),
        (lambda y, v: evsynth.leave1out(rma(y, v), slab=["a"]), "slab has 1 label"),
        (lambda y, v: evsynth.permutest(rma(y, v), iterations="many"), "iterations: must be a whole number"),
        (lambda y, v: evsynth.anova(rma(y, v), "reduced"), "reduced must be a fitted model"),
        (lambda y, v: selmodel(rma(y, v), steps=["a"]), "steps must be p-values"),
        (lambda y, v: escalc("OR", ai=[1], bi=[2], ci=[3], di=[4], add=-1), "add: must be a number >= 0"),
    ],
)
def test_bad_arguments_are_named(bcg, call, match):
    y, v, _ = bcg
    with pytest.raises(InputError, match=match):
        call(y, v)


def test_unknown_keywords_are_refused(bcg):
    y, v, _ = bcg
    for call in (
        lambda: rma(y, v, methd="DL"),
        lambda: rma(y, v).predict(transform=np.exp),
        lambda: ranktest(y, v, exakt=True),
        lambda: selmodel(rma(y, v), step=[0.05]),
    ):
        with pytest.raises(TypeError):
            call()


# ------------------------------------------------------------------------------ iterations and profiles


def test_fisher_scoring_halves_a_step_that_lowers_the_likelihood(monkeypatch):
    """On this data set one scoring step from the HE start lowers the restricted likelihood:
    it is halved (the candidate is evaluated and not taken), the likelihood rises along the
    accepted iterates, and the estimate is metafor's (iterated to 1e-12)."""
    case = R["halving"]
    y, v = np.asarray(case["yi"]), np.asarray(case["vi"])
    X = np.ones((y.size, 1))
    accepted, evaluated = [], []
    scoring, loglik = estimators._Sums.scoring, estimators._loglik
    monkeypatch.setattr(estimators._Sums, "scoring", lambda self, t, m: (accepted.append(t), scoring(self, t, m))[1])
    monkeypatch.setattr(estimators, "_loglik", lambda *a, **kw: (evaluated.append(a[3]), loglik(*a, **kw))[1])
    fit = estimators.estimate_tau2(y, v, X, "REML", control={"fallback": False})
    monkeypatch.undo()
    rejected = [t for t in evaluated if t not in accepted and t not in (0.0, fit.tau2)]
    assert rejected, "no step was halved on this data set"
    ll = [estimators._loglik(y, v, X, t, "REML") for t in accepted]
    assert all(b >= a - 1e-12 * abs(a) for a, b in zip(ll, ll[1:]))
    assert fit.tau2 == pytest.approx(case["tau2"], abs=1e-5)  # metafor's threshold


@pytest.mark.parametrize(
    "name, cols, mods",
    [
        ("assink2016", ["study", "esid"], None),
        ("assink2016_year", ["study", "esid"], ["year"]),
        ("fukkinklont2007", ["id_exp", "es_id"], None),
    ],
)
def test_confint_mv_of_three_level_data_matches_metafor(name, cols, mods):
    pd = pytest.importorskip("pandas")
    d = pd.read_csv(DATA / (name.split("_")[0] + ".csv"))
    f = rma_mv(d["yi"], d["vi"], [d[c] for c in cols], None if mods is None else d[mods].to_numpy(float))
    want = R["confint_mv"][name]
    np.testing.assert_allclose(f.sigma2, want["sigma2"], rtol=2e-5)
    c = confint_mv(f)
    np.testing.assert_allclose(c.sigma2_ci_lb, [w[1] for w in want["ci"]], rtol=2e-5)
    np.testing.assert_allclose(c.sigma2_ci_ub, [w[2] for w in want["ci"]], rtol=2e-5)


def test_a_failed_profile_point_makes_one_bound_nan_with_a_warning(monkeypatch):
    pd = pytest.importorskip("pandas")
    d = pd.read_csv(DATA / "assink2016.csv")
    f = rma_mv(d["yi"], d["vi"], [d["study"], d["esid"]])
    refit = type(f).refit
    est = float(f.sigma2[0])

    def failing(self, keep=None, *, sigma2_fixed=None, struct_fixed=None):
        if sigma2_fixed is not None and np.isfinite(sigma2_fixed[0]) and sigma2_fixed[0] > 2 * est:
            raise ConvergenceError("REML scoring oscillated")
        return refit(self, keep, sigma2_fixed=sigma2_fixed, struct_fixed=struct_fixed)

    monkeypatch.setattr(type(f), "refit", failing)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        c = confint_mv(f)
    assert np.isnan(c.sigma2_ci_ub[0])  # the upper search of sigma^2.1 passes above 2 x its estimate
    assert np.isfinite(c.sigma2_ci_lb[0]) and np.all(np.isfinite(c.sigma2_ci_ub[1:]))  # the rest goes on
    want = R["confint_mv"]["assink2016"]["ci"]
    assert c.sigma2_ci_lb[0] == pytest.approx(want[0][1], rel=2e-5)
    assert any("upper bound of sigma^2" in str(x.message) and "NaN" in str(x.message) for x in w)
    assert any("NaN" in n for n in c.notes)
