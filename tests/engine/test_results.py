"""The results protocol (evsynth.engine.results): every public result has summary() and
to_frame(); one Wald test for every model (test="knha" for rma, "t" for rma_mv); a
singular covariance matrix stops with a clear ModelError in both models; a robust fit
wraps its model and predicts with the robust vb and Satterthwaite df.

Expected values come from ../shared/golden and from tests/r/protocol_expected.json
(metafor 3.8 + clubSandwich; script tests/r/protocol_expected.R)."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import numpy as np
import pandas as pd
import pytest

import evsynth.engine
from evsynth import rma, rma_mv, robust, escalc, confint_tau2, subgroup
import evsynth.engine as eng
from evsynth.engine import anova, blup, confint_mv, fitstats, influence_mv, ranef, rma_batch, rma_mh, selmodel
from evsynth.engine.results import Fitted, FitResult, Result, coef_block, wald_test
from evsynth.errors import InputError, ModelError

from conftest import GOLDEN, ROOT

R_EXPECTED = json.loads((ROOT / "tests" / "r" / "protocol_expected.json").read_text())


@pytest.fixture(scope="module")
def barlow():
    d = pd.read_csv(GOLDEN / "data" / "barlow2014.csv")
    return d["y"].to_numpy(), d["s2"].to_numpy()


@pytest.fixture(scope="module")
def konst():
    return pd.read_csv(GOLDEN / "data" / "konstantopoulos2011.csv")


def _public_result_classes() -> set[type]:
    found = set()
    for mod in pkgutil.iter_modules(evsynth.engine.__path__):
        m = importlib.import_module(f"evsynth.engine.{mod.name}")
        for name, obj in vars(m).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Result)
                and not name.startswith("_")
                and obj.__module__.startswith("evsynth.engine")
                and obj not in (Result, Fitted, FitResult)
            ):
                found.add(obj)
    return found


def _examples(barlow, konst) -> dict[str, object]:
    """One instance of every public result class, from real data."""
    y, v = barlow
    f = rma(y, v)
    x = konst["year"].to_numpy(float)
    fm = rma(konst["yi"], konst["vi"], x[:, None], coef_names=["year"])
    mv = rma_mv(konst["yi"], konst["vi"], [konst["district"], konst["school"]])
    g = np.where(np.arange(y.size) % 2 == 0, "a", "b")
    return {
        "EffectSizes": escalc("OR", ai=[4, 6, 3], bi=[20, 30, 25], ci=[9, 11, 8], di=[18, 27, 22]),
        "Coefs": f.coefs,
        "WaldTest": fm.wald,
        "Heterogeneity": fm.het,
        "RMAResult": f,
        "RMAMVResult": mv,
        "RobustResult": robust(mv, konst["district"]),
        "ConfintResult": confint_tau2(f),
        "SubgroupResult": subgroup(y, v, g),
        "RegtestResult": eng.regtest(f),
        "RanktestResult": eng.ranktest(y, v),
        "TrimfillResult": eng.trimfill(f),
        "FsnResult": eng.fsn(y, v),
        "Leave1outResult": eng.leave1out(f),
        "InfluenceResult": eng.influence(f),
        "CumulResult": eng.cumul(f, np.arange(f.k)),
        "PetPeeseResult": eng.pet_peese(y, v),
        "PermutationResult": eng.permutest(fm, iterations=50, seed=1),
        # the breadth verbs (issue 15)
        "MHResult": rma_mh("OR", ai=[4, 6, 3], bi=[20, 30, 25], ci=[9, 11, 8], di=[18, 27, 22]),
        "FitStats": fitstats(f),
        "LRTResult": anova(
            rma(konst["yi"], konst["vi"], x[:, None], method="ML"), rma(konst["yi"], konst["vi"], method="ML")
        ),
        "WaldResult": anova(fm, L=[[0, 1]]),
        "PredictResult": fm.predict([[1980.0]]),  # (the verb predict() is this method)
        "BLUPResult": blup(f),
        "InfluenceMVResult": influence_mv(
            rma_mv(konst["yi"][:20], konst["vi"][:20], [konst["district"][:20], konst["school"][:20]])
        ),
        "ConfintMVResult": confint_mv(mv),
        "RanefMVResult": ranef(mv),
        "SelmodelResult": selmodel(f, steps=[0.5]),
        "RMABatchResult": rma_batch(np.vstack([y, y[::-1]]), np.vstack([v, v])),
    }


def test_every_public_result_class_has_summary_and_to_frame(barlow, konst):
    classes = {c.__name__: c for c in _public_result_classes()}
    examples = _examples(barlow, konst)
    # a new result class must be added to _examples (and so be checked here)
    assert set(classes) == set(examples)
    for name, obj in examples.items():
        assert type(obj) is classes[name]
        for meth in ("summary", "to_frame"):
            assert getattr(type(obj), meth) is not getattr(Result, meth), f"{name}.{meth} is not defined"
        text = obj.summary()
        assert isinstance(text, str) and text.strip(), name
        assert str(obj) == text
        frame = obj.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame) >= 1 and len(frame.columns) >= 1, name


def test_coefficient_table_columns_follow_metafor(barlow):
    f = rma(*barlow)
    t = f.to_frame()
    assert list(t.columns) == ["term", "estimate", "se", "zval", "pval", "ci_lb", "ci_ub"]
    assert t["estimate"].tolist() == list(f.beta) and t["ci_ub"].tolist() == list(f.ci_ub)
    k = rma(*barlow, test="knha").to_frame()
    assert list(k.columns) == ["term", "estimate", "se", "tval", "pval", "ci_lb", "ci_ub"]


def test_diagnostic_frames_keep_their_columns(barlow):
    f = rma(*barlow)
    assert list(eng.leave1out(f).to_frame().columns) == [
        "omitted",
        "estimate",
        "se",
        "stat",
        "pval",
        "ci_lb",
        "ci_ub",
        "QE",
        "QEp",
        "tau2",
        "I2",
        "H2",
    ]
    assert list(eng.influence(f).to_frame().columns) == [
        "study",
        "rstudent",
        "dffits",
        "cooks_distance",
        "cov_ratio",
        "tau2_del",
        "QE_del",
        "hat",
        "weight",
        "influential",
    ]
    assert list(eng.cumul(f, np.arange(f.k)).to_frame().columns) == [
        "added",
        "k",
        "estimate",
        "se",
        "ci_lb",
        "ci_ub",
        "pval",
        "tau2",
        "I2",
    ]


def test_t_distribution_spelled_knha_for_rma_and_t_for_rma_mv(barlow, konst):
    y, v = barlow
    f = rma(y, v, test="knha")
    assert (f.test, f.dist, f.df) == ("knha", "t", f.k - 1)
    assert rma(y, v, test="hksj").test == "knha"
    with pytest.raises(InputError, match="allowed: z, knha"):
        rma(y, v, test="t")
    m = rma_mv(konst["yi"], konst["vi"], [konst["district"], konst["school"]], test="t")
    assert (m.test, m.dist, m.df) == ("t", "t", m.k - 1)
    with pytest.raises(InputError, match="'z' or 't'"):
        rma_mv(konst["yi"], konst["vi"], [konst["district"]], test="knha")
    z = rma(y, v)
    assert (z.dist, z.df) == ("z", None)


def test_singular_covariance_in_the_wald_test_is_a_model_error_in_both_models(konst):
    y, v = konst["yi"].to_numpy(), konst["vi"].to_numpy()
    x = konst["year"].to_numpy(float)[:, None]
    # btt naming one coefficient twice: the tested covariance matrix is exactly singular
    with pytest.raises(
        ModelError,
        match="test of coefficient\\(s\\) 2:2 cannot be computed: the covariance "
        "matrix of the tested coefficients is singular",
    ):
        rma(y, v, x, btt=[1, 1])
    with pytest.raises(ModelError, match="covariance matrix of the tested coefficients is singular"):
        rma_mv(y, v, [konst["district"], konst["school"]], x, btt=[1, 1])
    f = rma(y, v, x)
    with pytest.raises(ModelError, match="singular"):
        f.anova(L=[[0, 1], [0, 2]])


def test_wald_test_of_a_contrast_matrix_matches_metafor_anova(konst):
    x = konst["year"].to_numpy(float)[:, None]
    L = R_EXPECTED["L"]
    mv = rma_mv(konst["yi"], konst["vi"], [konst["district"], konst["school"]], x)
    a = mv.anova(L=L)
    want = R_EXPECTED["mv_anova_L"]
    assert a.QM == pytest.approx(want["QM"], rel=1e-4) and a.QMp == pytest.approx(want["QMp"], rel=1e-4)
    assert a.QMdf == (want["df1"], None)
    uk = rma(konst["yi"], konst["vi"], x, test="knha").anova(L=L)
    want = R_EXPECTED["uni_knha_anova_L"]
    assert uk.QM == pytest.approx(want["QM"], rel=1e-4) and uk.QMp == pytest.approx(want["QMp"], rel=1e-4)
    assert uk.QMdf == (want["df1"], want["df2"])
    # the default btt of a model reproduces its own QM
    f = rma(konst["yi"], konst["vi"], x)
    assert f.anova([1]).QM == pytest.approx(f.QM, rel=1e-12)


@pytest.mark.parametrize("kind", ["uni", "mv"])
def test_robust_fit_wraps_its_model_and_predicts_like_metafor(konst, kind):
    x = konst["year"].to_numpy(float)[:, None]
    if kind == "uni":
        fit = rma(konst["yi"], konst["vi"], x)
    else:
        fit = rma_mv(konst["yi"], konst["vi"], [konst["district"], konst["school"]], x)
    r = robust(fit, konst["district"])
    # wraps: the model's own fields, robust coefficient block
    assert r.fit is fit and r.k == fit.k and r.tau2 == fit.tau2 and r.method == fit.method
    assert r.multilevel is fit.multilevel and r.QE == fit.QE
    assert r.dist == "t" and np.shape(r.df) == (2,) and not np.allclose(r.se, fit.se)
    assert r.QMdf[0] == 1 and r.QMdf[1] == pytest.approx(r.df[1])  # HTZ with one coefficient: t^2, same df
    assert r.QM == pytest.approx(r.stat[1] ** 2)
    assert "results based on cluster-robust inference" in r.summary() and "df" in r.to_frame().columns
    want = R_EXPECTED[f"{kind}_robust_pred"]
    p = r.predict(np.asarray(R_EXPECTED["newmods"])[:, None])
    for key in ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "df"):
        assert getattr(p, key) == pytest.approx(want[key], rel=1e-5), key


@pytest.mark.parametrize("kind", ["uni", "mv"])
def test_robust_htz_test_of_moderators_matches_metafor(kind):
    d = pd.read_csv(GOLDEN / "data" / "tannersmith2016.csv").dropna(subset=["aget1", "propmale"])
    d = d.reset_index(drop=True)
    assert len(d) == R_EXPECTED["htz_k"]
    X = d[["aget1", "propmale"]].to_numpy(float)
    fit = rma(d["yi"], d["vi"], X) if kind == "uni" else rma_mv(d["yi"], d["vi"], [d["studyid"], d["esid"]], X)
    r = robust(fit, d["studyid"])
    want = R_EXPECTED[f"{kind}_robust_htz"]
    assert r.QM == pytest.approx(want["QM"], rel=1e-4) and r.QMp == pytest.approx(want["QMp"], rel=1e-4)
    assert r.QMdf[0] == want["df1"] and r.QMdf[1] == pytest.approx(want["df2"], rel=1e-4)
    # the same test through anova(), and a singular contrast stops with a clear message
    assert r.anova([1, 2]).QM == pytest.approx(r.QM, rel=1e-12)
    with pytest.raises(ModelError, match="singular"):
        r.anova([1, 1])


def test_robust_coefficients_match_golden_case(konst):
    case = json.loads((GOLDEN / "cases" / "konstantopoulos2011.robust.uni.json").read_text())
    want = case["expected"]
    r = robust(rma(konst["yi"], konst["vi"]), konst["district"])
    row = r.to_frame().iloc[0]
    assert row["term"] == want["coef_names"]
    for col, key in (
        ("estimate", "beta"),
        ("se", "se"),
        ("tval", "stat"),
        ("df", "df"),
        ("pval", "pval"),
        ("ci_lb", "ci_lb"),
        ("ci_ub", "ci_ub"),
    ):
        assert row[col] == pytest.approx(want[key], rel=1e-4), col


def test_prediction_interval_of_fits_comes_from_predict(barlow, konst):
    f = rma(*barlow)
    p = f.predict()
    assert (f.pi_lb, f.pi_ub) == (p.pi_lb[0], p.pi_ub[0])
    mv = rma_mv(konst["yi"], konst["vi"], [konst["district"], konst["school"]])
    # metafor's predict.rma for rma.mv: pred -/+ qnorm(.975) * sqrt(se^2 + sum(sigma2)), with the
    # golden case's estimates and variance components
    case = json.loads((GOLDEN / "cases" / "konstantopoulos2011.mv.REML.json").read_text())["expected"]
    from scipy.stats import norm

    want = case["beta"] - norm.isf(0.025) * np.sqrt(case["se"] ** 2 + np.sum(case["sigma2"]))
    assert mv.pi_lb == pytest.approx(want, rel=1e-4)


def test_model_weights_are_explicit(barlow, konst):
    f = rma(*barlow)
    assert f.model_weights().sum() == pytest.approx(100)
    mv = rma_mv(konst["yi"], konst["vi"], [konst["district"], konst["school"]])
    assert mv.model_weights() is None and mv.multilevel and not f.multilevel


def test_coef_block_rejects_unknown_distribution():
    with pytest.raises(InputError, match="allowed: z, t"):
        coef_block(["a"], [1.0], [[1.0]], dist="knha")
    w = wald_test([1.0, 2.0], np.eye(2), [0, 1])
    assert w.QM == pytest.approx(5.0) and w.QMdf == (2, None)
