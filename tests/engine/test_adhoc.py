"""test="adhoc" (Knapp-Hartung never narrower than the z-based interval) against metafor
3.8: expected values from tests/r/adhoc.R (run with Rscript; output committed as
tests/r/adhoc_metafor.json)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evsynth.engine import rma

from conftest import ROOT

R = json.loads((ROOT / "tests" / "r" / "adhoc_metafor.json").read_text())
CASES = [k for k in R if k != "metafor_version"]


@pytest.mark.parametrize("name", CASES)
def test_adhoc_matches_metafor(name):
    c = R[name]
    mods = None if c["mods"] is None else np.asarray(c["mods"], float)
    f = rma(c["yi"], c["vi"], mods, method=c["method"], test="adhoc")
    assert f.beta == pytest.approx(c["beta"], abs=1e-7)
    assert f.se == pytest.approx(c["se"], rel=1e-6)
    assert f.pval == pytest.approx(c["pval"], rel=1e-5)
    assert f.ci_lb == pytest.approx(c["ci_lb"], abs=1e-6)
    assert f.ci_ub == pytest.approx(c["ci_ub"], abs=1e-6)
    if c["QM"] is not None and mods is not None:
        assert f.QM == pytest.approx(c["QM"], rel=1e-6)
        assert f.QMp == pytest.approx(c["QMp"], rel=1e-5)
    # plain Knapp-Hartung for comparison (metafor's se under test="knha")
    k = rma(c["yi"], c["vi"], mods, method=c["method"], test="knha")
    assert k.se == pytest.approx(c["se_knha"], rel=1e-6)
    assert k.s2w == pytest.approx(c["s2w_knha"], rel=1e-6)


def test_adhoc_never_narrower_than_z_and_fixes_the_k2_example():
    c = R["two_close"]
    z = rma(c["yi"], c["vi"], test="z")
    a = rma(c["yi"], c["vi"], test="adhoc")
    kh = rma(c["yi"], c["vi"], test="knha")
    assert a.s2w == 1.0 and kh.s2w < 0.01
    assert a.se[0] == pytest.approx(z.se[0])
    assert (a.ci_ub[0] - a.ci_lb[0]) > (z.ci_ub[0] - z.ci_lb[0])  # t(1) quantile > z quantile
    assert kh.se[0] < 0.01 < 0.17  # the SE 0.006-like interval
