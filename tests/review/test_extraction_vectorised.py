"""The vectorised conversion of the extraction table (``compute_extracted``: rows grouped by
input form, numpy over columns) against a simple reference that converts row by row with the
formulas written out per form (the implementation before vectorising; its conversions are
tested against metafor in tests/test_extraction.py): the same effect sizes bit for bit, the
same table, the same messages in the same order, on a few thousand rows of every form."""

import importlib.util

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from evsynth.engine import effects as es
from evsynth.errors import InputError, TableProblems
from evsynth.pipeline.checks import load_table
from evsynth.review.extraction import COLUMNS, _has, compute_extracted, row_problems

STUDIES = load_table(ROOT / "data/holwerda2014/primary_studies.csv", "primary_studies")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_extraction", ROOT / "bench/bench_extraction.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def reference_row(row: dict) -> tuple[float, float, str]:
    """One row's Hedges' g, variance and formula, each form written out (scalar engine calls)."""
    from scipy import stats

    if _has(row, "m1", "sd1", "n1", "m2", "sd2", "n2"):
        r = es.escalc(
            "SMD", m1i=row["m1"], sd1i=row["sd1"], n1i=row["n1"], m2i=row["m2"], sd2i=row["sd2"], n2i=row["n2"]
        )
        return float(r.yi[0]), float(r.vi[0]), "SMD from means and SDs"
    if _has(row, "t", "n1", "n2"):
        g, v = es.d_from_t(row["t"], row["n1"], row["n2"])
        return float(g), float(v), "g from independent-samples t"
    if _has(row, "f", "n1", "n2", "sign"):
        g, v = es.d_from_f(row["f"], row["n1"], row["n2"], sign=row["sign"])
        return float(g), float(v), "g from F(1, df)"
    if _has(row, "p", "n1", "n2", "sign"):
        g, v = es.d_from_p(row["p"], row["n1"], row["n2"], sign=row["sign"])
        return float(g), float(v), "g from two-sided p"
    if _has(row, "events1", "total1", "events2", "total2"):
        r = es.escalc("OR", ai=row["events1"], n1i=row["total1"], ci=row["events2"], n2i=row["total2"])
        d, v = es.logor_to_d(r.yi[0], r.vi[0])
        return float(d), float(v), "log OR from events/totals"
    if _has(row, "or", "or_ci_lb", "or_ci_ub"):
        lo, hi = np.log(row["or_ci_lb"]), np.log(row["or_ci_ub"])
        if not lo < np.log(row["or"]) < hi:
            raise InputError("odds ratio does not lie inside its confidence interval")
        d, vd = es.logor_to_d(np.log(row["or"]), ((hi - lo) / (2 * 1.959963984540054)) ** 2)
        return float(d), float(vd), "log OR with variance from the 95% CI"
    if _has(row, "md", "md_ci_lb", "md_ci_ub", "n1", "n2"):
        n1, n2 = float(row["n1"]), float(row["n2"])
        se = (float(row["md_ci_ub"]) - float(row["md_ci_lb"])) / (2 * stats.t.ppf(0.975, n1 + n2 - 2))
        sd = se / np.sqrt(1 / n1 + 1 / n2)
        r = es.escalc("SMD", m1i=row["md"], sd1i=sd, n1i=n1, m2i=0.0, sd2i=sd, n2i=n2)
        return float(r.yi[0]), float(r.vi[0]), "SMD from a mean difference with its 95% CI"
    if _has(row, "pre_m", "post_m", "pre_sd", "n_prepost", "prepost_r"):
        g, v = es.d_from_prepost(row["pre_m"], row["post_m"], row["pre_sd"], row["n_prepost"], row["prepost_r"])
        return float(g), float(v), "standardised mean change"
    if _has(row, "d_reported", "d_var_reported"):
        return float(row["d_reported"]), float(row["d_var_reported"]), "d as reported, with its reported variance"
    if _has(row, "d_reported", "n1", "n2"):
        d = float(row["d_reported"])
        return d, float(es.smd_variance(d, row["n1"], row["n2"])), "d as reported, variance"
    raise InputError("effect size without variance and without the statistics to compute one")


def reference(eff: pd.DataFrame, path: str):
    """Row by row: (records, problems), the messages cut before the list of options."""
    known, out, problems = set(STUDIES["study_id"]), [], []
    for i, row in eff.iterrows():
        rn, rec = int(i) + 2, row.to_dict()
        if rec["study_id"] not in known:
            problems.append(f"{path}: row {rn}, column 'study_id': unknown study '{rec['study_id']}'")
            continue
        bad = row_problems(rec)
        if bad:
            problems += [f"{path}: row {rn}, column '{col}': {why}" for col, why in bad]
            continue
        try:
            with np.errstate(all="ignore"):
                g, v, formula = reference_row(rec)
        except InputError as exc:
            problems.append(f"{path}: row {rn}: {exc}")
            continue
        if not (np.isfinite(g) and np.isfinite(v) and v > 0):
            problems.append(f"{path}: row {rn}: the statistics give no finite effect size with positive variance")
            continue
        flip = rec.get("higher_is_better") is False
        n_total = next(
            (float(rec[a]) + float(rec[b]) for a, b in (("n1", "n2"), ("total1", "total2")) if _has(rec, a, b)),
            float(rec["n_prepost"]) if _has(rec, "n_prepost") else np.nan,
        )
        approx = rec.get("approximation") is True
        out.append(
            {
                "effect_id": rec["effect_id"],
                "study_id": rec["study_id"],
                "outcome": rec["outcome"],
                "outcome_domain": rec["outcome_domain"],
                "timepoint": rec.get("timepoint"),
                "yi": -g if flip else g,
                "vi": v,
                "formula": formula,
                "direction": "multiplied by -1" if flip else "as computed",
                "n_total": n_total,
                "approximation": approx,
                "approximation_note": rec.get("approximation_note") if approx else "",
                "adjusted": rec.get("adjusted") is True,
                "source_url": rec["source_url"],
                "source_quote": rec["source_quote"],
                "coder": rec["coder"],
            }
        )
    return pd.DataFrame(out, columns=COLUMNS), problems


def _table(tmp_path, n: int, spoil=None) -> pd.DataFrame:
    raw = _bench().synthetic_extraction(n, seed=7)
    if spoil:
        spoil(raw)
    p = tmp_path / "effects.csv"
    raw.to_csv(p, index=False)
    return load_table(p, "effects")


def test_every_form_converts_bit_for_bit_as_row_by_row(tmp_path):
    eff = _table(tmp_path, 3300)
    got = compute_extracted(eff, STUDIES, "effects.csv")
    want, problems = reference(eff, "effects.csv")
    assert problems == []
    assert len(got) == 3300 and got["formula"].nunique() == 10  # every input form met
    assert got["yi"].to_numpy().tobytes() == want["yi"].to_numpy().tobytes()
    # the variance from an odds ratio's CI squares a float64 scalar in the row-by-row code (C pow)
    # and an array in the vectorised one (x * x): the two may differ in the last bit
    ci = got["formula"].str.startswith("log OR with variance from the 95% CI").to_numpy()
    assert got["vi"][~ci].to_numpy().tobytes() == want["vi"][~ci].to_numpy().tobytes()
    np.testing.assert_array_max_ulp(got["vi"][ci].to_numpy(), want["vi"][ci].to_numpy(), maxulp=1)
    assert (got["yi"] < 0).any() and got["direction"].str.startswith("multiplied").any()
    for c in COLUMNS:
        if c in ("formula", "direction"):  # the reference's texts are shortened
            assert all(g.startswith(w) for g, w in zip(got[c], want[c])), c
        elif c != "vi":
            pd.testing.assert_series_equal(got[c], want[c], check_exact=True, obj=c)


def _spoil(raw: pd.DataFrame) -> None:
    """Contradictions of every kind, spread over the table (spreadsheet row = index + 2)."""
    raw.loc[5, "study_id"] = "nosuchstudy"
    raw.loc[5, "t"] = "2.5"  # not reported: the unknown study comes first
    i = raw.index[raw["or"] != ""]
    raw.loc[i[2], "or"] = "9.5"  # outside its CI (i[0] is row 7, of the unknown study)
    raw.loc[i[1], "or"] = raw.loc[i[1], "or_ci_lb"]  # on the bound: accepted by the check, refused by the conversion
    i = raw.index[raw["md"] != ""]
    raw.loc[i[0], ["md_ci_lb", "md_ci_ub"]] = ["4.6", "0.4"]  # reversed
    raw.loc[i[1], "md"] = "99"  # outside
    i = raw.index[raw["events1"] != ""]
    raw.loc[i[0], "events1"] = "999"
    raw.loc[i[1], "events2"] = "998"
    i = raw.index[(raw["t"] != "") & (raw["p"] == "")]
    raw.loc[i[0], ["t", "p", "n1", "n2"]] = ["2.2", "0.2", "90", "91"]  # p disagrees with t
    raw.loc[i[1], ["t", "p", "n1", "n2"]] = ["2.2", "0.03", "90", "91"]  # agrees within rounding
    i = raw.index[raw["f"] != ""]
    raw.loc[i[0], ["f", "p", "n1", "n2", "sign"]] = ["4.84", "0.5", "40", "42", "1"]
    i = raw.index[raw["d_var_reported"] != ""]
    raw.loc[i[0], "d_var_reported"] = ""  # d without a variance or group sizes: no statistics
    raw.loc[i[1], "approximation"] = "yes"  # approximated without a note
    i = raw.index[raw["m1"] != ""]
    raw.loc[i[0], ["n1", "n2"]] = ["1", "1"]  # no degrees of freedom: no finite effect size


def test_every_message_as_row_by_row(tmp_path):
    eff = _table(tmp_path, 2200, _spoil)
    with pytest.raises(TableProblems) as exc:
        compute_extracted(eff, STUDIES, "effects.csv")
    got = exc.value.problems
    _, want = reference(eff, "effects.csv")
    assert len(got) == len(want) == 12  # one per spoiled row; the p that agrees within rounding passes
    for g, w in zip(got, want):
        assert g.startswith(w), (g, w)
    assert got[4].startswith("effects.csv: row 7, column 'study_id': unknown study 'nosuchstudy'")
    assert got[-1] == "effects.csv: row 29, column 'or': odds ratio 9.5 lies outside its CI [1.2282, 3.9811]"
    assert "effects.csv: row 18: odds ratio does not lie inside its confidence interval" in got


def test_a_frame_not_read_from_a_file():
    rows = pd.DataFrame(
        [
            {"effect_id": "a", "study_id": "armstrong2000", "t": 2.2, "n1": 90, "n2": 91, "higher_is_better": False},
            {"effect_id": "b", "study_id": "caldera2007", "d_reported": 0.3, "d_var_reported": None},
            {"effect_id": "c", "study_id": "mcmillan2005", "events1": 3, "total1": 20, "events2": 0, "total2": 21},
        ]
    ).assign(outcome="o", outcome_domain="parenting", source_url="u", source_quote="q", coder="x")
    with pytest.raises(TableProblems) as exc:
        compute_extracted(rows, STUDIES, "f.csv")
    assert exc.value.problems == [f"f.csv: row 3: {m}" for m in [reference_problem(rows.iloc[1].to_dict())]]
    got = compute_extracted(rows.drop(index=1), STUDIES, "f.csv")
    want, _ = reference(rows.drop(index=1), "f.csv")
    assert got["yi"].tolist() == want["yi"].tolist() and got["vi"].tolist() == want["vi"].tolist()
    assert got["yi"].iloc[0] < 0 and got["n_total"].tolist() == [181.0, 41.0]


def reference_problem(row) -> str:
    from evsynth.review.extraction import NO_STATISTICS

    with pytest.raises(InputError):
        reference_row(row)
    return NO_STATISTICS
