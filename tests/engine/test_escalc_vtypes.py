"""escalc's vtype for ROM, PLO, SMDH, UCOR, SMCC and SMCR as metafor (issue 26 item 2).

Expected values: tests/r/escalc_vtypes.json, written by tests/r/escalc_vtypes.R (metafor 3.8.1)
from datasets metafor ships (dat.curtis1998, dat.pritz1997, dat.normand1999, dat.molloy2014) and
Morris (2008) as in ?escalc. The vtypes each measure accepts are read from metafor's own refusal
messages.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import evsynth
from evsynth.engine import escalc
from evsynth.engine.variances import VTYPES
from evsynth.errors import InputError

from conftest import ROOT

R = json.loads((ROOT / "tests" / "r" / "escalc_vtypes.json").read_text(encoding="utf-8"))
ARGS = {
    "ROM": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "SMDH": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "PLO": ("xi", "ni"),
    "UCOR": ("ri", "ni"),
    "COR": ("ri", "ni"),
    "SMCC": ("m1i", "m2i", "sd1i", "sd2i", "ni", "ri"),
    "SMCR": ("m1i", "m2i", "sd1i", "ni", "ri"),
}


def _want(values):
    return np.array([np.nan if x is None else x for x in values], float)


def _case(name):
    case = R["cases"][name]
    data = R["data"][case["data"]]
    args = {a: np.asarray(data[a], float) for a in ARGS[case["measure"]]}
    vtype = case["vtype"]
    return case, args, vtype if isinstance(vtype, str) else list(vtype)


@pytest.mark.parametrize("name", sorted(R["cases"]))
def test_vtype_as_metafor(name):
    case, args, vtype = _case(name)
    r = escalc(case["measure"], **args, vtype=vtype)
    np.testing.assert_allclose(r.yi, _want(case["yi"]), rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(r.vi, _want(case["vi"]), rtol=1e-10, equal_nan=True)


@pytest.mark.parametrize("name", ["ROM_curtis_AVHO", "PLO_pritz_AV", "UCOR_molloy_UB", "ROM_curtis_per-study"])
def test_vtype_through_the_data_frame_front_end(name):
    case, args, vtype = _case(name)
    df = pd.DataFrame(args)
    out = evsynth.escalc(case["measure"], **{a: a for a in args}, data=df, vtype=vtype)
    np.testing.assert_allclose(out["vi"].to_numpy(), _want(case["vi"]), rtol=1e-10, equal_nan=True)


@pytest.mark.parametrize("measure", ["ROM", "PLO", "UCOR", "SMCC", "SMCR"])
def test_accepted_vtypes_are_metafors(measure):
    quoted = set(re.findall(r"'+([A-Z0-9]+)'", R["refusals"][measure]))
    assert set(VTYPES[measure]) == quoted


def test_every_accepted_vtype_is_compared_with_metafor():
    compared = {(c["measure"], c["vtype"]) for c in R["cases"].values() if isinstance(c["vtype"], str)}
    for measure in ("ROM", "PLO", "SMDH", "UCOR", "SMCC", "SMCR"):
        for vt in VTYPES[measure]:
            assert (measure, vt) in compared, (measure, vt)


def test_cor_refuses_ub_as_metafor():
    assert "UCOR" in R["refusals"]["COR"]
    with pytest.raises(InputError, match=r"vtype: 'UB' is not available for measure COR; allowed: LS, AV"):
        escalc("COR", ri=[0.3], ni=[20], vtype="UB")


@pytest.mark.parametrize(
    ("measure", "vtype", "allowed"),
    [
        ("ROM", "UB", "LS, HO, AV, AVHO"),
        ("PLO", "HO", "LS, AV"),
        ("SMDH", "AV", "LS, LS2"),
        ("UCOR", "HO", "LS, UB, AV"),
    ],
)
def test_unknown_vtype_names_vtype_and_the_accepted_values(measure, vtype, allowed):
    case = next(c for c in R["cases"].values() if c["measure"] == measure)
    data = R["data"][case["data"]]
    args = {a: np.asarray(data[a], float) for a in ARGS[measure]}
    with pytest.raises(
        InputError, match=f"vtype: '{vtype}' is not available for measure {measure}; allowed: {allowed}$"
    ):
        escalc(measure, **args, vtype=vtype)


def test_per_study_vtype_needs_one_name_per_study():
    args = dict(ri=[0.3, 0.2], ni=[20, 30])
    with pytest.raises(InputError, match="vtype: 3 names for 2 studies"):
        escalc("UCOR", **args, vtype=["LS", "UB", "AV"])
    with pytest.raises(InputError, match="vtype: 'XX' is not available for measure UCOR"):
        escalc("UCOR", **args, vtype=["LS", "XX"])
    with pytest.raises(InputError, match="vtype: must be a name or one name per study"):
        escalc("UCOR", **args, vtype=3)


def test_ucor_ub_at_r_zero_is_gauss_closed_form_at_large_n():
    """At r = 0, 2F1(1, 1; n/2; 1) = (n/2 - 1) / (n/2 - 2) (Gauss's theorem), so the unbiased
    variance is (n - 3)/(n - 2) * (n - 2)/(n - 4) - 1 = 1/(n - 4) exactly (as fractions). scipy
    has no value at z = 1 for so large a c; the series fallback gives it to 1e-12, where
    metafor's gsl gives 1.000400044e-04 at n = 10000 (1.2e-7 off)."""
    n = np.array([10000.0, 50000.0, 9.0])
    r = escalc("UCOR", ri=np.zeros(3), ni=n, vtype="UB")
    np.testing.assert_allclose(r.vi, 1 / (n - 4), rtol=1e-10)
