"""The double-extraction agreement script (coding/extraction/agreement.py): Cohen's kappa on a
hand-worked example, the comparison rules, and byte-identical outputs on the shipped files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coding.extraction import agreement
from conftest import ROOT


def test_kappa_on_a_hand_worked_example():
    # 10 studies; coder A calls 1-4 usable, coder B 1, 2, 3 and 5:
    #                 B usable  B not
    #   A usable          3       1
    #   A not             1       5
    # p_o = (3 + 5) / 10 = 0.8
    # p_e = 0.4 * 0.4 + 0.6 * 0.6 = 0.16 + 0.36 = 0.52
    # kappa = (0.8 - 0.52) / (1 - 0.52) = 0.28 / 0.48 = 0.58333...
    a = [i in {1, 2, 3, 4} for i in range(1, 11)]
    b = [i in {1, 2, 3, 5} for i in range(1, 11)]
    po, k = agreement.kappa(list(zip(a, b)))
    assert po == pytest.approx(0.8)
    assert k == pytest.approx(7 / 12)


def test_kappa_perfect_and_undefined():
    mod = agreement
    # perfect agreement with both categories used: p_o = 1, p_e = 0.5, kappa = 1
    assert mod.kappa([(True, True), (False, False)]) == pytest.approx((1.0, 1.0))
    # both raters say "usable" for every study: p_e = 1, kappa undefined (None), not a division by zero
    assert mod.kappa([(True, True)] * 3) == (1.0, None)


def test_comparison_rules():
    mod = agreement
    assert mod.same_number("4.4", "4.40") and mod.same_number("", " ") and not mod.same_number("4.4", "-4.4")
    assert not mod.same_number("", "0")
    assert mod.same_outcome("Non-punitive attitudes (Child Rearing Practices Report)", "Non-punitive attitudes (CRPR)")
    assert not mod.same_outcome("ITSEA dysregulation", "ITSEA externalizing")
    assert mod.same_timepoint("6 months after baseline", "six-month follow-up (after the 12-week programme)")
    assert not mod.same_timepoint("12 months postpartum", "6 months postpartum")


def test_rerun_on_the_shipped_files_is_byte_identical(tmp_path):
    outs = []
    for run in ("first", "second"):
        out = tmp_path / run
        res = subprocess.run(
            [sys.executable, "-m", "coding.extraction.agreement", "--outdir", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert res.returncode == 0, res.stderr
        outs.append(out)
    for name in ("comparison.csv", "agreement.csv"):
        first = (outs[0] / name).read_bytes()
        assert first == (outs[1] / name).read_bytes()
        # the shipped files are the script's output on the shipped coder files
        assert first == (ROOT / "data/extraction" / name).read_bytes()
