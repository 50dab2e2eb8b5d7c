"""The three-level model in O(k) (issue 16 item 5): the diagonal-plus-rank-one route
(Sherman-Morrison, the matrix determinant lemma, cluster sums by np.bincount) gives what
the general route of batched Cholesky factorisations of each block gives, for the
likelihood, its gradient, the expected information and the fitted models; metafor's values
for these models are the golden cases (konstantopoulos2011.mv.*, fukkinklont2007.mv.*)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evsynth.engine import multilevel as ml
from evsynth.engine import mvblocks as mb
from evsynth.engine import blup, ranef
from evsynth.errors import ModelError

from conftest import ROOT, SHARED


def _data(n_cl, seed, max_size=6):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_size, n_cl)
    cl = np.repeat(np.arange(n_cl), sizes)
    rng.shuffle(cl)  # clusters need not be contiguous
    k = cl.size
    v = rng.uniform(0.01, 0.1, k)
    x = rng.normal(size=k)
    y = 0.3 + 0.1 * x + rng.normal(0, 0.2, n_cl)[cl] + rng.normal(0, np.sqrt(v + 0.03))
    return y, v, x, cl


@pytest.mark.parametrize("levels", (1, 2))
@pytest.mark.parametrize("reml", (True, False))
@pytest.mark.parametrize("sigma2", ([0.04, 0.02], [0.0, 0.05], [0.3, 0.0], [0.0, 0.0]))
def test_evaluation_equals_the_block_route(levels, reml, sigma2):
    y, v, x, cl = _data(25, 1)
    X = np.column_stack([np.ones_like(y), x])
    groups = [cl, np.arange(y.size)][:levels]
    bs = mb.BlockStructure(groups)
    assert bs.diag_rank1
    s2 = np.asarray(sigma2[:levels], float)
    fast = mb._evaluate_dr1(y, v, X, bs, s2, reml)
    fast_route, mb._FAST = mb._FAST, False
    try:
        gen = mb.evaluate(y, v, X, bs, s2, reml)
    finally:
        mb._FAST = fast_route
    assert fast.ll == pytest.approx(gen.ll, rel=1e-12)
    assert fast.rVr == pytest.approx(gen.rVr, rel=1e-12)
    np.testing.assert_allclose(fast.beta, gen.beta, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(fast.M, gen.M, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(fast.score, gen.score, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(fast.info, gen.info, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("seed", (2, 3, 4))
@pytest.mark.parametrize("method", ("REML", "ML"))
def test_fits_equal_the_block_route(seed, method, monkeypatch):
    y, v, x, cl = _data(12 * seed, seed)
    for groups, mods in (([cl, np.arange(y.size)], None), ([cl, np.arange(y.size)], x[:, None]), ([cl], x[:, None])):
        fast = ml.rma_mv(y, v, groups, mods, method=method)
        monkeypatch.setattr(mb, "_FAST", False)
        gen = ml.rma_mv(y, v, groups, mods, method=method)
        monkeypatch.setattr(mb, "_FAST", True)
        np.testing.assert_allclose(fast.sigma2, gen.sigma2, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(fast.beta, gen.beta, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(fast.se, gen.se, rtol=1e-8, atol=1e-10)
        assert fast.ll == pytest.approx(gen.ll, rel=1e-10)


def test_route_applies_only_to_diagonal_plus_rank_one():
    y, v, x, cl = _data(10, 5)
    inner = np.arange(y.size) // 2  # two effects per inner group: not rank one per cluster
    assert not mb.BlockStructure([cl, inner]).diag_rank1
    assert not mb.BlockStructure([cl, np.arange(y.size), np.arange(y.size)]).diag_rank1
    assert not mb.BlockStructure([cl], knownV=mb.vcalc(v, cl, rho=0.5)).diag_rank1
    assert mb.BlockStructure([cl, np.arange(y.size)]).diag_rank1


# ---------------------------------------------------------------- ranef for multilevel fits

R_OUT = json.loads((ROOT / "tests" / "r" / "multilevel_extra.json").read_text())
KONST = pd.read_csv(SHARED / "golden" / "data" / "konstantopoulos2011.csv")


@pytest.mark.parametrize("case", ("reml_z", "ml_t_year", "one_level"))
def test_ranef_of_multilevel_fits_matches_metafor(case):
    """Expected values: metafor's ranef() on rma.mv (tests/r/multilevel_extra.R)."""
    want = R_OUT["ranef"][case]
    d = KONST
    groups = [d["district"].to_numpy()] + ([d["school"].to_numpy()] if case != "one_level" else [])
    mods = (d["year"].to_numpy(float) - 1990)[:, None] if case == "ml_t_year" else None
    f = ml.rma_mv(
        d["yi"],
        d["vi"],
        groups,
        mods,
        method="ML" if case == "ml_t_year" else "REML",
        test="t" if case == "ml_t_year" else "z",
        group_names=["district", "school"][: len(groups)],
    )
    np.testing.assert_allclose(f.sigma2, np.atleast_1d(want["sigma2"]), rtol=1e-5)
    r = ranef(f)
    assert r.components == list(want["ranef"])
    for j, (comp, w) in enumerate(want["ranef"].items()):
        pos = {g: i for i, g in enumerate(r.groups[j])}
        order = [pos[g] for g in np.atleast_1d(w["levels"])]  # metafor sorts the levels
        for key in ("pred", "se", "pi_lb", "pi_ub"):
            np.testing.assert_allclose(
                np.asarray(getattr(r, key)[j])[order], w[key], rtol=1e-5, atol=1e-7, err_msg=f"{comp} {key}"
            )
    frame = r.to_frame()
    assert len(frame) == sum(len(g) for g in r.groups)


def test_blup_of_a_multilevel_fit_says_what_to_use():
    d = KONST
    f = ml.rma_mv(d["yi"], d["vi"], [d["district"], d["school"]])
    with pytest.raises(ModelError, match="ranef"):
        blup(f)


# ---------------------------------------------------------------- profile CIs for struct CS / HCS

BERKEY = pd.read_csv(SHARED / "golden-breadth" / "data" / "berkey1998.csv")


@pytest.mark.parametrize("stype", ("CS", "HCS"))
def test_confint_of_struct_components_matches_metafor(stype):
    """Expected values: metafor's confint() on rma.mv(..., random = ~ outcome | trial, struct =)
    (tests/r/multilevel_extra.R; tau^2.1, tau^2.2 in metafor's level order AL, PD).  metafor searches each bound with uniroot's default
    tolerance (about 1.2e-4), hence the absolute tolerance."""
    from evsynth.engine import confint_mv

    want = R_OUT["confint_struct"][stype]
    d = BERKEY
    dummy = (d["outcome"] == "AL").to_numpy(float)[:, None]
    f = ml.rma_mv(
        d["yi"],
        d["vi"],
        [],
        dummy,
        coef_names=["outcome[AL]"],
        struct={"type": stype, "inner": d["outcome"], "outer": d["trial"], "levels": ["AL", "PD"]},
    )
    np.testing.assert_allclose(np.atleast_1d(f.struct_tau2), np.atleast_1d(want["tau2"]), rtol=1e-4)
    assert f.struct_rho == pytest.approx(want["rho"], rel=1e-4)
    c = confint_mv(f)
    rows = [(np.atleast_1d(w["names"])[0], w) for w in want["ci"]]
    assert c.names == [n for n, _ in rows]
    for i, (name, w) in enumerate(rows):
        est, lb, ub = (np.atleast_1d(w[key])[0] for key in ("est", "lb", "ub"))
        assert c.sigma2_est[i] == pytest.approx(est, rel=1e-4, abs=1e-6), name
        assert c.sigma2_ci_lb[i] == pytest.approx(lb, rel=2e-3, abs=3e-4), name
        assert c.sigma2_ci_ub[i] == pytest.approx(ub, rel=2e-3, abs=3e-4), name
    assert "rho" in c.summary()


# ---------------------------------------------------------------- ranef of the struct (CS / HCS) term


def _struct_case(case):
    """The fit of tests/r/multilevel_extra.R's ``ranef_struct`` case, as evsynth states it."""
    if case.startswith("berkey"):
        d = BERKEY if case == "berkey_cs_z" else BERKEY[~((BERKEY["trial"] == 5) & (BERKEY["outcome"] == "AL"))]
        mods, names = (d["outcome"] == "PD").to_numpy(float)[:, None], ["outcomePD"]
        groups, gnames, inner, outer, levels = [], None, "outcome", "trial", ["AL", "PD"]
    else:
        d = KONST.assign(parity=np.where(KONST["school"] % 2 == 1, "odd", "even"))
        mods = (d["year"].to_numpy(float) - 1990)[:, None] if case == "konst_hcs_sigma_t" else None
        names = ["I(year - 1990)"] if mods is not None else None
        groups, gnames, inner, outer, levels = [d["study"].to_numpy()], ["study"], "parity", "district", ["even", "odd"]
    stype = "HCS" if "hcs" in case else "CS"
    return d, ml.rma_mv(
        d["yi"],
        d["vi"],
        groups,
        mods,
        method="ML" if case == "konst_hcs_sigma_t" else "REML",
        test=case[-1],
        coef_names=names,
        group_names=gnames,
        struct={
            "type": stype,
            "inner": d[inner].to_numpy(),
            "outer": d[outer].to_numpy(),
            "levels": levels,
            "names": (inner, outer),
        },
    )


@pytest.mark.parametrize("case", ("berkey_cs_z", "berkey9_hcs_t", "konst_cs_sigma_z", "konst_hcs_sigma_t"))
def test_ranef_of_struct_terms_matches_metafor(case):
    """Expected values: metafor's ranef() on rma.mv with random = ~ inner | outer, struct CS / HCS,
    alone (berkey1998; with trial 5's AL row dropped for blocks of unequal size) and beside a
    sigma^2 term ~ 1 | study (konstantopoulos2011 with inner = school number odd / even, so that
    several rows share an inner level of a district), under tests z and t (tests/r/multilevel_extra.R).
    Variance components are checked first: ranef is only as close as the fits are."""
    want = R_OUT["ranef_struct"][case]
    d, f = _struct_case(case)
    np.testing.assert_allclose(np.atleast_1d(f.struct_tau2), np.atleast_1d(want["tau2"]), rtol=1e-4)
    assert f.struct_rho == pytest.approx(want["rho"], rel=1e-4)
    if f.sigma2.size:
        np.testing.assert_allclose(f.sigma2, np.atleast_1d(want["sigma2"]), rtol=1e-4)
    np.testing.assert_allclose(f.beta, want["beta"], rtol=1e-5, atol=1e-7)
    r = ranef(f)
    assert r.components[-1] == ("outcome | trial" if case.startswith("berkey") else "parity | district")
    assert r.terms[-1] == "~ " + r.components[-1]
    assert len(r.groups) == len(want["ranef"])
    for j, (comp, w) in enumerate(want["ranef"].items()):
        assert r.groups[j] == [str(x) for x in np.atleast_1d(w["levels"])], comp  # metafor's order and labels
        for key in ("pred", "se", "pi_lb", "pi_ub"):
            np.testing.assert_allclose(getattr(r, key)[j], w[key], rtol=1e-5, atol=1e-6, err_msg=f"{comp} {key}")
    assert "~ " + r.components[-1] in r.summary()
    assert len(r.to_frame()) == sum(len(g) for g in r.groups)


def test_ranef_of_a_struct_term_is_one_row_per_outer_and_inner_level():
    """Rows sharing their outer and inner level share one predicted random effect: the
    konstantopoulos2011 struct case has 56 rows but one prediction per district and parity
    present (counted here from the data)."""
    d, f = _struct_case("konst_cs_sigma_z")
    r = ranef(f)
    assert len(r.groups[-1]) == len(d.groupby(["district", "parity"]))
