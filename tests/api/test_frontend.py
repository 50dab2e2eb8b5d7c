"""The data-frame front end (evsynth.api, issue 26 item 1) against metafor: escalc with data=,
rma with formula moderators (numeric, factor, interaction, no intercept, releveled factor),
Knapp-Hartung, level, predict, rma.mv with random = ~ 1 | a/b and the list form, robust (CR2).
Expected values: tests/r/frontend.R (metafor 3.8.1) -> tests/r/frontend.json; the data are
metafor's dat.bcg and dat.konstantopoulos2011 exported by the same script."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import evsynth
from evsynth import escalc, predict, rma, rma_mv, robust
from evsynth.errors import EvsynthError, InputError
from conftest import ROOT

HERE = ROOT / "tests" / "r"
R = json.loads((HERE / "frontend.json").read_text(encoding="utf-8"))
RTOL = 1e-6  # metafor's iterative estimates converge to ~1e-8; closed forms agree to 1e-12


@pytest.fixture(scope="module")
def bcg():
    return pd.read_csv(HERE / "dat_bcg.csv")


@pytest.fixture(scope="module")
def dat(bcg):
    return escalc(
        "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=bcg, slab=bcg["author"] + ", " + bcg["year"].astype(str)
    )


@pytest.fixture(scope="module")
def k11():
    return pd.read_csv(HERE / "dat_konstantopoulos2011.csv")


def close(a, b, rtol=RTOL, atol=1e-9):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=atol)


def test_top_level_verbs_are_the_front_ends():
    assert evsynth.rma.__module__ == "evsynth.api.frames"
    assert evsynth.escalc.__module__ == "evsynth.api.frames"
    assert evsynth.rma_mv.__module__ == "evsynth.api.frames"


def test_escalc_with_data_returns_the_frame_with_yi_vi(bcg, dat):
    assert list(dat.columns) == list(bcg.columns) + ["yi", "vi"]
    close(dat["yi"], R["escalc_rr"]["yi"], rtol=1e-12)
    close(dat["vi"], R["escalc_rr"]["vi"], rtol=1e-12)
    assert dat.attrs["slab"] == R["escalc_rr"]["slab"]
    assert dat.attrs["measure"] == "RR"
    assert "yi" not in bcg.columns  # the input is not changed


def test_escalc_expressions_of_columns(bcg):
    d2 = escalc("OR", ai="tpos", n1i="tpos + tneg", ci="cpos", n2i="cpos + cneg", data=bcg)
    close(d2["yi"], R["escalc_or_n"]["yi"], rtol=1e-12)
    close(d2["vi"], R["escalc_or_n"]["vi"], rtol=1e-12)


def test_escalc_options_pass_through_with_data(bcg):
    d3 = escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=bcg, add=0.5, to="all")
    close(d3["yi"], R["escalc_rr_all"]["yi"], rtol=1e-12)
    close(d3["vi"], R["escalc_rr_all"]["vi"], rtol=1e-12)
    normand = pd.read_csv(HERE / "dat_normand1999.csv")
    d4 = escalc("SMD", m1i="m1i", sd1i="sd1i", n1i="n1i", m2i="m2i", sd2i="sd2i", n2i="n2i", data=normand, vtype="UB")
    close(d4["yi"], R["escalc_smd_ub"]["yi"], rtol=1e-10)
    close(d4["vi"], R["escalc_smd_ub"]["vi"], rtol=1e-10)


def test_escalc_with_arrays_keeps_working(bcg):
    es = escalc("RR", ai=bcg.tpos.to_numpy(), bi=bcg.tneg.to_numpy(), ci=bcg.cpos.to_numpy(), di=bcg.cneg.to_numpy())
    close(es.yi, R["escalc_rr"]["yi"], rtol=1e-12)


def as_list(x):
    """The R JSON writer gives a vector of length one as a scalar."""
    return [x] if not isinstance(x, list) else x


def check_uni(fit, exp, names=True):
    if names:
        assert fit.coefs.names == as_list(exp["names"])
    close(fit.beta, exp["beta"])
    close(fit.se, exp["se"])
    close(fit.stat, exp["stat"])
    close(fit.pval, exp["pval"])
    close(fit.ci_lb, exp["ci_lb"])
    close(fit.ci_ub, exp["ci_ub"])
    close(fit.tau2, exp["tau2"], atol=1e-8)
    close(fit.QE, exp["QE"])
    if len(as_list(exp["names"])) > 1 and exp["QM"] is not None:
        close(fit.QM, exp["QM"])
    close(fit.I2, exp["I2"], atol=1e-6)


def test_rma_of_an_escalc_frame(dat):
    fit = rma(dat)
    check_uni(fit, R["rma_re"])
    close(fit.pi_lb, R["rma_re"]["pi_lb"])
    close(fit.pi_ub, R["rma_re"]["pi_ub"])
    close(fit.weights, R["rma_re"]["weights"])
    assert fit.slab == R["escalc_rr"]["slab"]


@pytest.mark.parametrize(
    "key, mods, options",
    [
        ("rma_ablat", "~ ablat", {}),
        ("rma_ablat_alloc", "~ ablat + alloc", {}),
        ("rma_alloc_noint", "~ alloc - 1", {}),
        ("rma_interaction", "~ ablat * year", {}),
        ("rma_factor_interaction", "~ year + ablat:alloc", {"method": "DL"}),
        ("rma_knha", "~ ablat + year", {"test": "knha"}),
    ],
)
def test_rma_formula_moderators(dat, key, mods, options):
    fit = rma("yi", "vi", mods=mods, data=dat, **options)
    check_uni(fit, R[key])
    if R[key]["R2"] is not None:
        close(fit.R2, R[key]["R2"], atol=1e-5)


def test_rma_releveled_factor(dat):
    """metafor: relevel(factor(alloc), ref = "random"); the coefficients are the other levels."""
    for mods in ('~ relevel(alloc, ref="random")', '~ C(alloc, contr.treatment("random"))'):
        fit = rma("yi", "vi", mods=mods, data=dat)
        check_uni(fit, R["rma_relevel"], names=False)
        assert [n[-len(lv) :] for n, lv in zip(fit.coefs.names[1:], ("alternate", "systematic"))] == [
            "alternate",
            "systematic",
        ]
    assert rma("yi", "vi", mods='~ C(alloc, contr.treatment("random"))', data=dat).coefs.names[1] == "allocalternate"


def test_rma_level_90(dat):
    check_uni(rma("yi", "vi", data=dat, level=90), R["rma_level90"])


def test_named_series_and_text_frame_moderators(dat):
    fit = rma(dat["yi"], dat["vi"], mods=dat["ablat"])
    assert fit.coefs.names == ["intrcpt", "ablat"]
    check_uni(fit, R["rma_ablat"])
    fit2 = rma(dat["yi"], dat["vi"], mods=dat[["ablat", "alloc"]])
    check_uni(fit2, R["rma_ablat_alloc"])


def test_predict_after_a_formula_fit(dat):
    fit = rma("yi", "vi", mods="~ ablat", data=dat)
    exp = R["predict_ablat"]
    p = predict(fit, np.array(exp["newmods"], float), transf=np.exp)
    for field in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        close(getattr(p, field), exp[field])


def test_predict_newdata_codes_factors_as_the_fit(dat):
    fit = rma("yi", "vi", mods="~ ablat + alloc", data=dat)
    exp = R["predict_ablat_alloc"]
    p = predict(fit, newdata=pd.DataFrame({"ablat": [10, 30], "alloc": ["random", "systematic"]}))
    for field in ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        close(getattr(p, field), exp[field])
    with pytest.raises(InputError, match="blinded"):
        predict(fit, newdata={"ablat": [10], "alloc": ["blinded"]})
    with pytest.raises(InputError, match="lacks the formula's variable\\(s\\) alloc"):
        predict(fit, newdata={"ablat": [10]})
    with pytest.raises(InputError, match="needs a fit made with a formula"):
        predict(rma(dat["yi"], dat["vi"], mods=dat["ablat"]), newdata={"ablat": [10]})


def check_mv(fit, exp):
    assert fit.coefs.names == as_list(exp["names"])
    assert fit.s_names == exp["s_names"]
    assert list(fit.s_nlevels) == list(exp["s_nlevels"])
    close(fit.beta, exp["beta"], rtol=1e-6)
    close(fit.se, exp["se"], rtol=1e-5)
    close(fit.sigma2, exp["sigma2"], rtol=1e-5, atol=1e-8)
    close(fit.QE, exp["QE"])


def test_rma_mv_nested_random_formula(k11):
    check_mv(rma_mv("yi", "vi", random="~ 1 | district/school", data=k11), R["rma_mv_nested"])


def test_rma_mv_list_form(k11):
    check_mv(rma_mv("yi", "vi", random=["~ 1 | district", "~ 1 | study"], data=k11), R["rma_mv_list"])


def test_rma_mv_formula_mods_ml(k11):
    check_mv(rma_mv("yi", "vi", mods="~ year", random="~ 1 | district/school", data=k11, method="ML"), R["rma_mv_year"])


def test_rma_mv_struct_term(k11):
    """metafor: random = ~ factor(school) | district, struct = "CS"."""
    fit = rma_mv("yi", "vi", random="~ school | district", struct="CS", data=k11)
    exp = R["rma_mv_cs"]
    close(fit.beta, [exp["beta"]], rtol=1e-6)
    close(fit.se, [exp["se"]], rtol=1e-5)
    close(fit.struct_tau2, exp["tau2"], rtol=1e-5)
    close(fit.struct_rho, exp["rho"], rtol=1e-5)


def test_rma_mv_groups_as_a_data_frame(k11):
    fit = rma_mv(k11["yi"], k11["vi"], groups=k11[["district", "school"]])
    assert fit.s_names == ["district", "district/school"]
    close(fit.sigma2, R["rma_mv_nested"]["sigma2"], rtol=1e-5)


def test_robust_with_a_cluster_column(k11):
    fit = rma_mv("yi", "vi", random="~ 1 | district/school", data=k11)
    r = robust(fit, cluster="district")
    exp = R["robust_nested"]
    close(r.beta, exp["beta"], rtol=1e-6)
    close(r.se, exp["se"], rtol=1e-5)
    close(r.df, exp["df"], rtol=1e-5)
    close(r.pval, exp["pval"], rtol=1e-5)


# ------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda d: rma("yi", "vi", mods="~ ablat + latitude", data=d), ["latitude", "ablat", "columns"]),
        (lambda d: rma("yi", "variance", data=d), ["vi=", "variance", "columns"]),
        (lambda d: rma("yi", "vi", mods='~ relevel(alloc, ref="blinded")', data=d), ["blinded", "random"]),
        (lambda d: rma("yi", "vi", mods='~ C(alloc, contr.treatment("blinded"))', data=d), ["mods", "blinded"]),
        (lambda d: rma("yi", "vi", mods="~ ablat"), ["data="]),
        (lambda d: rma("yi", "vi", data=d.to_dict()), ["data", "DataFrame"]),
        (lambda d: rma(d["yi"], d["vi"][:5]), ["vi", "5", "13"]),
        (lambda d: rma(d["yi"], d["vi"], mods=np.arange(5.0)), ["mods", "5", "13"]),
        (lambda d: rma(d["yi"], d["vi"], mods=d["alloc"].to_numpy()), ["mods", "text"]),
        (lambda d: rma("author", "vi", data=d), ["yi", "numeric"]),
        (lambda d: rma(d["yi"].where(d.index != 2), d["vi"]), ["yi", "row(s) 3"]),
        (lambda d: rma(d["yi"], d["vi"].where(d.index != 0)), ["vi", "row(s) 1"]),
        (lambda d: escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="nope", data=d), ["di=", "nope", "columns"]),
        (lambda d: rma("yi", "vi", data=d, subset="nope > 1"), ["subset", "nope"]),
        (
            lambda d: rma("yi", "vi", mods="~ ablat", data=d.assign(ablat=d["ablat"].where(d.index != 4))),
            ["mods", "'ablat'", "row(s) 5"],
        ),
        (
            lambda d: rma(d["yi"], d["vi"], mods=d[["ablat"]].assign(ablat=d["ablat"].where(d.index != 4))),
            ["mods", "'ablat'", "row(s) 5"],
        ),
        (lambda d: rma("yi", "vi", mods=3, data=d), ["mods"]),
        (lambda d: rma("yi", "vi", mods="~ ablat +", data=d), ["mods", "cannot read the formula", "Operator `+`"]),
        (
            lambda d: rma("yi", "vi", mods='~ C(alloc, levels=["random", "alternate"])', data=d),
            ["mods", "categories outside of the nominated levels", "systematic"],
        ),
        (lambda d: rma("yi", "vi", mods="~ 0", data=d), ["mods", "no coefficient"]),
        (lambda d: rma(["a", "b"], [1, 2]), ["yi", "numeric", "'a'"]),
        (lambda d: rma_mv("yi", "vi", random=5, data=d), ["random", "formula", "int"]),
    ],
)
def test_bad_input_one_clear_error(dat, call, words):
    with pytest.raises(InputError) as e:
        call(dat)
    msg = str(e.value)
    assert "\x1b" not in msg  # no terminal colour codes from formulaic
    for w in words:
        assert w in msg, (w, msg)
    assert issubclass(InputError, EvsynthError)


def test_rma_mv_bad_random(k11):
    with pytest.raises(InputError, match="'region' in '~ 1 \\| region/school' is not a column"):
        rma_mv("yi", "vi", random="~ 1 | region/school", data=k11)
    with pytest.raises(InputError, match="cannot read"):
        rma_mv("yi", "vi", random="1 + district", data=k11)
    # school numbers repeat across districts: the list form would cross them
    with pytest.raises(InputError, match="'school' is not nested in 'district'"):
        rma_mv("yi", "vi", random=["~ 1 | district", "~ 1 | school"], data=k11)
    with pytest.raises(InputError, match="cannot be combined"):
        rma_mv("yi", "vi", random=["~ 1 | district/school", "~ 1 | study"], data=k11)
    with pytest.raises(InputError, match="needs struct"):
        rma_mv("yi", "vi", random="~ school | district", data=k11)


def test_subset_keeps_rows_and_labels(dat):
    fit = rma("yi", "vi", data=dat, subset="alloc == 'random'")
    keep = dat["alloc"] == "random"
    assert fit.k == int(keep.sum())
    assert fit.slab == [s for s, m in zip(dat.attrs["slab"], keep) if m]
    close(fit.yi, dat.loc[keep, "yi"], rtol=0)


def test_unknown_keywords_are_refused_not_swallowed(dat, bcg):
    with pytest.raises(TypeError, match="'bogus'"):
        escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=bcg, bogus=1)
    with pytest.raises(TypeError, match="'bogus'"):
        escalc("RR", ai=[1, 2], bi=[3, 4], ci=[2, 3], di=[5, 5], bogus=1)
    with pytest.raises(TypeError, match="'bogus'"):
        rma("yi", "vi", data=dat, bogus=1)
    with pytest.raises(TypeError, match="'bogus'"):
        rma_mv("yi", "vi", random="~ 1 | trial", data=dat, bogus=1)


def test_frame_moderators_without_intercept_code_every_level(dat):
    """metafor's mods = ~ alloc - 1, from a data frame of moderators and intercept=False."""
    check_uni(rma(dat["yi"], dat["vi"], mods=dat[["alloc"]], intercept=False), R["rma_alloc_noint"])


def test_rma_of_an_effect_sizes_object(bcg):
    """Issue 26: rma(escalc_result) was refused."""
    es = escalc("RR", ai=bcg.tpos.to_numpy(), bi=bcg.tneg.to_numpy(), ci=bcg.cpos.to_numpy(), di=bcg.cneg.to_numpy())
    check_uni(rma(es), R["rma_re"])
