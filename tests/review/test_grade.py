"""GRADE rules (evsynth.review.grade) on constructed tables whose expected ratings were
derived by hand from the rules stated in the module docstring and the README."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evsynth.review.grade import grade_outcome, statement


def spec(**kw):
    s = {
        "id": "x",
        "title": "X",
        "role": "primary",
        "effect": {"yi": "yi", "vi": "vi"},
        "direction": {"rule": "", "flip": False},
        "model": {"type": "univariate", "method": "REML", "test": "adhoc"},
        "design": {"randomised": True},
        "risk_of_bias": {"column": "rob", "high": ["High"]},
        "intervention": "the programme",
        "outcome": "behaviour problems",
    }
    s.update(kw)
    return s


def effects(rob, vi=None, n=None):
    k = len(rob)
    d = pd.DataFrame(
        {"study": [f"s{i}" for i in range(k)], "yi": 0.3, "vi": vi if vi is not None else [0.01] * k, "rob": rob}
    )
    if n is not None:
        d["n"] = n
    return d


def het(**kw):
    h = {
        "k": 12,
        "n_studies": 12,
        "estimate": 0.5,
        "ci_lb": 0.35,
        "ci_ub": 0.65,
        "pi_lb": 0.3,
        "pi_ub": 0.7,
        "I2": 10.0,
        "tau2": 0.0,
    }
    h.update(kw)
    return h


EGGER_OK = {"pval": 0.6}
TF_OK = {"k0": 0, "estimate": 0.5, "ci_lb": 0.35, "ci_ub": 0.65}


def domain(reasons, d):
    return reasons.set_index("domain").loc[d]


def test_all_clear_stays_high():
    # randomised, no high-risk weight, I2 10 %, CI 0.35-0.65 excludes 0 and MID 0.2, N = 12 x 100 = 1200 >= OIS 784
    out, r = grade_outcome(
        het(), effects(["Low"] * 12, n=[100] * 12), spec(sample_size="n"), egger=EGGER_OK, trimfill=TF_OK
    )
    assert out["certainty"] == "high" and out["downgrades"] == 0
    assert out["statement"] == "The programme improves behaviour problems."
    assert out["total_n"] == 1200
    assert r["downgrade"].sum() == 0


def test_non_randomised_starts_low():
    out, _ = grade_outcome(
        het(),
        effects(["Low"] * 12, n=[100] * 12),
        spec(sample_size="n", design={"randomised": False}),
        egger=EGGER_OK,
        trimfill=TF_OK,
    )
    assert out["start"] == "low" and out["certainty"] == "low"
    assert out["statement"] == "The programme may improve behaviour problems."


def test_design_column_any_non_randomised_starts_low():
    e = effects(["Low"] * 12, n=[100] * 12)
    e["design"] = ["rct"] * 11 + ["match"]
    out, _ = grade_outcome(
        het(),
        e,
        spec(sample_size="n", design={"column": "design", "randomised_values": ["rct"]}),
        egger=EGGER_OK,
        trimfill=TF_OK,
    )
    assert out["start"] == "low" and "1 of 12" in out["start_reason"]


@pytest.mark.parametrize("n_high,expected_down", [(4, 0), (5, 1), (7, 1), (8, 2), (10, 2)])
def test_risk_of_bias_share_of_weight(n_high, expected_down):
    # equal weights (10 studies x 10 %): share = 10 % x n_high; -1 from 50 %, -2 from 80 %
    rob = ["High"] * n_high + ["Low"] * (10 - n_high)
    w = pd.DataFrame({"weight": [10.0] * 10})
    _, r = grade_outcome(het(k=10), effects(rob), spec(), weights=w, egger=EGGER_OK, trimfill=TF_OK)
    d = domain(r, "risk_of_bias")
    assert d["downgrade"] == expected_down
    assert d["number"] == pytest.approx(10.0 * n_high)


def test_risk_of_bias_uses_weights_not_counts():
    # one high-risk study carrying 60 % of the weight: -1 although 1 of 5 studies
    w = pd.DataFrame({"weight": [60.0, 10.0, 10.0, 10.0, 10.0]})
    _, r = grade_outcome(het(k=5), effects(["High", "Low", "Low", "Low", "Low"]), spec(), weights=w)
    assert domain(r, "risk_of_bias")["downgrade"] == 1
    assert domain(r, "risk_of_bias")["number"] == 60.0


def test_risk_of_bias_not_assessed_is_downgraded():
    _, r = grade_outcome(het(), effects(["Low"] * 12), spec(risk_of_bias=None), egger=EGGER_OK, trimfill=TF_OK)
    assert domain(r, "risk_of_bias")["downgrade"] == 1
    assert "not assessed" in domain(r, "risk_of_bias")["reason"]


@pytest.mark.parametrize(
    "i2,pi,expected",
    [
        (40.0, (0.1, 0.9), 0),  # I2 < 50, PI on one side
        (55.0, (0.1, 0.9), 1),  # I2 >= 50
        (30.0, (-0.1, 1.1), 1),  # PI crosses 0 while CI does not
        (80.0, (-0.2, 1.2), 2),  # I2 >= 75 and PI crosses 0
        (80.0, (0.05, 0.95), 1),  # I2 >= 75 but PI on one side: -1 only
    ],
)
def test_inconsistency(i2, pi, expected):
    _, r = grade_outcome(
        het(I2=i2, pi_lb=pi[0], pi_ub=pi[1]), effects(["Low"] * 12), spec(), egger=EGGER_OK, trimfill=TF_OK
    )
    assert domain(r, "inconsistency")["downgrade"] == expected


@pytest.mark.parametrize(
    "ci,expected,word",
    [
        ((0.30, 0.60), 0, "excludes"),  # above MID 0.2 throughout
        ((0.05, 0.60), 1, "trivial"),  # excludes 0, spans trivial (0.05) to important (0.6)
        ((-0.10, 0.60), 1, "crosses"),  # crosses no effect
        ((-0.30, 0.60), 2, "harm"),  # includes -0.2 and +0.2
    ],
)
def test_imprecision_ci(ci, expected, word):
    _, r = grade_outcome(
        het(ci_lb=ci[0], ci_ub=ci[1], estimate=sum(ci) / 2),
        effects(["Low"] * 12, n=[100] * 12),
        spec(sample_size="n"),
        egger=EGGER_OK,
        trimfill=TF_OK,
    )
    d = domain(r, "imprecision")
    assert d["downgrade"] == expected and word in d["reason"]


def test_imprecision_optimal_information_size():
    # OIS for MID 0.2: 4 * (1.95996 + 0.84162)^2 / 0.04 = 784.9 -> N = 12 x 60 = 720 is below it
    _, r = grade_outcome(
        het(), effects(["Low"] * 12, n=[60] * 12), spec(sample_size="n"), egger=EGGER_OK, trimfill=TF_OK
    )
    d = domain(r, "imprecision")
    assert d["downgrade"] == 1 and "785" in d["reason"] and "720" in d["reason"]


def test_indirectness_worst_domain():
    ind = {"population": "serious", "outcome": "very serious", "reason": "adults, not families"}
    _, r = grade_outcome(het(), effects(["Low"] * 12), spec(indirectness=ind), egger=EGGER_OK, trimfill=TF_OK)
    d = domain(r, "indirectness")
    assert d["downgrade"] == 2 and "adults, not families" in d["reason"] and "population, outcome" in d["reason"]


def test_publication_bias_rules():
    e = effects(["Low"] * 12, n=[100] * 12)
    s = spec(sample_size="n")
    _, r = grade_outcome(het(), e, s, egger={"pval": 0.04}, trimfill=TF_OK)
    assert domain(r, "publication_bias")["downgrade"] == 1
    # trim-and-fill moving the estimate by 0.15 >= MID/2 = 0.1
    _, r = grade_outcome(het(), e, s, egger=EGGER_OK, trimfill={"k0": 3, "estimate": 0.35, "ci_lb": 0.2, "ci_ub": 0.5})
    assert domain(r, "publication_bias")["downgrade"] == 1
    # a shift of 0.05 < 0.1 and Egger p .6: no downgrade
    _, r = grade_outcome(het(), e, s, egger=EGGER_OK, trimfill={"k0": 2, "estimate": 0.45, "ci_lb": 0.3, "ci_ub": 0.6})
    assert domain(r, "publication_bias")["downgrade"] == 0
    # k < 10: not assessed
    _, r = grade_outcome(het(k=6), e.iloc[:6], s, egger={"pval": 0.01}, trimfill=TF_OK)
    assert domain(r, "publication_bias")["downgrade"] == 0
    assert domain(r, "publication_bias")["rating"] == "not assessed"


def test_levels_add_up_and_floor_at_very_low():
    # start high (4); RoB -2 (100 % high), inconsistency -2, imprecision -2, indirectness -2: floor very low
    ind = {"population": "very serious", "reason": "other population"}
    out, r = grade_outcome(
        het(I2=90.0, pi_lb=-1.0, pi_ub=2.0, ci_lb=-0.3, ci_ub=0.7, estimate=0.2),
        effects(["High"] * 12),
        spec(indirectness=ind),
        egger=EGGER_OK,
        trimfill=TF_OK,
    )
    assert out["downgrades"] == 8 and out["certainty"] == "very low"
    assert out["statement"].startswith("We are uncertain whether the programme improves")
    # start high, one downgrade: moderate and "probably"
    out, _ = grade_outcome(
        het(I2=60.0), effects(["Low"] * 12, n=[100] * 12), spec(sample_size="n"), egger=EGGER_OK, trimfill=TF_OK
    )
    assert out["certainty"] == "moderate" and out["statement"] == "The programme probably improves behaviour problems."


def test_statement_small_effects_and_ratio_mid():
    assert (
        statement(4, 0.1, 0.2, "improvement", "the programme", "x")
        == "The programme makes little or no difference to x."
    )
    assert (
        statement(2, 0.05, 0.2, "improvement", "the programme", "x")
        == "The programme may make little or no difference to x."
    )
    out, r = grade_outcome(
        het(estimate=0.1, ci_lb=-0.2, ci_ub=0.4),
        effects(["Low"] * 12),
        spec(effect={"measure": "RR", "columns": {}}),
        egger=EGGER_OK,
        trimfill=TF_OK,
    )
    assert out["mid"] == pytest.approx(math.log(1.25))
    assert domain(r, "imprecision")["downgrade"] == 1  # crosses 0 but not both -0.223 and 0.223


# Plain-language statements: the expected wording is that of Santesso et al. (2020), GRADE
# guidelines 26, J Clin Epidemiol 119:126-135, Table 2 ("Suggested informative statements"), with
# X = "the programme" and outcome = "x": high certainty "X improves/reduces/increases outcome",
# "X results in a slight/large improvement"; moderate "X probably ..."; low "X may ..."; very low
# "We are uncertain whether X ... because the certainty of the evidence is very low" (no size word).
@pytest.mark.parametrize(
    "level, estimate, expected",
    [
        (4, 0.6, "The programme improves x."),
        (3, 0.6, "The programme probably improves x."),
        (2, 0.6, "The programme may improve x."),
        (
            1,
            0.6,
            "We are uncertain whether the programme improves x because the certainty of the evidence is very low.",
        ),
        (4, 0.3, "The programme results in a slight improvement in x."),
        (3, 0.3, "The programme probably results in a slight improvement in x."),
        (2, 0.3, "The programme may result in a slight improvement in x."),
        (
            1,
            0.3,
            "We are uncertain whether the programme improves x because the certainty of the evidence is very low.",
        ),
        (4, 0.9, "The programme results in a large improvement in x."),
        (3, 0.9, "The programme probably results in a large improvement in x."),
        (2, 0.9, "The programme may result in a large improvement in x."),
        (
            1,
            0.9,
            "We are uncertain whether the programme improves x because the certainty of the evidence is very low.",
        ),
        (3, -0.6, "The programme probably worsens x."),
        (2, -0.3, "The programme may result in a slight deterioration in x."),
    ],
)
def test_statement_follows_santesso_2020_wording(level, estimate, expected):
    assert statement(level, estimate, 0.2, "improvement", "the programme", "x") == expected


def test_statement_risk_direction_and_no_size_word_at_very_low_certainty():
    # a risk (positive = more events): the verb follows the sign of the estimate at every level
    assert (
        statement(2, -0.4, math.log(1.25), "risk", "the service", "placement")
        == "The service may result in a slight reduction in placement."
    )
    assert statement(4, 0.6, math.log(1.25), "risk", "the service", "placement") == "The service increases placement."
    low = statement(1, -0.4, math.log(1.25), "risk", "the service", "placement")
    assert (
        low
        == "We are uncertain whether the service reduces placement because the certainty of the evidence is very low."
    )
    for lvl in (1,):
        for est in (0.05, 0.3, 0.6, 0.9, -0.9):
            s = statement(lvl, est, 0.2, "improvement", "the programme", "x")
            assert not any(w in s for w in ("slight", "large", "little", "small", "medium")), s
    # correlations: "may be positively associated with"; log odds ratios sized after conversion to d
    assert (
        statement(2, 0.35, 0.1, "association", "supervision", "x", metric="r")
        == "Supervision may be positively associated with x."
    )
    assert (
        statement(4, 0.6, math.log(1.25), "improvement", "the programme", "x", metric="logor")
        == "The programme results in a slight improvement in x."
    )  # d = 0.6 * sqrt(3) / pi = 0.33


def test_reporting_bias_from_the_share_of_missing_statistics():
    # 4 of 10 studies that measured the outcome have statistics: 60 % missing >= 50 % -> suspected (-1),
    # even with k = 4 < 10 where the funnel checks are not assessed
    e = effects(["Low"] * 4, n=[100] * 4)
    out, r = grade_outcome(
        het(k=4, n_studies=4), e, spec(sample_size="n"), reporting={"measured": 10, "with_statistics": 4}
    )
    row = domain(r, "publication_bias")
    assert row["downgrade"] == 1 and row["rating"] == "suspected" and row["number"] == 60.0
    assert (
        "statistics found for 4 of the 10 studies that measured this outcome (60 % could not be found" in row["reason"]
    )
    assert "k = 4 < 10" in row["reason"]
    # 8 of 10 found: 20 % missing, not suspected on that ground; the sentence is kept with the funnel reason
    out, r = grade_outcome(
        het(),
        effects(["Low"] * 12, n=[100] * 12),
        spec(sample_size="n"),
        egger=EGGER_OK,
        trimfill=TF_OK,
        reporting={"measured": 10, "with_statistics": 8},
    )
    row = domain(r, "publication_bias")
    assert row["downgrade"] == 0 and row["reason"].endswith("(20 % could not be found in public text)")
