"""A pooled result beside the reviewers' conclusions (evsynth.review.compare): the agreement rule
on constructed CIs (expected verdicts worked out from the rule in the module docstring)."""

import pandas as pd
import pytest

from evsynth.errors import InputError
from evsynth.review.compare import agreement, compare_with_findings


@pytest.mark.parametrize(
    "direction, lb, ub, verdict",
    [
        ("positive", 0.1, 0.5, "agrees"),
        ("limited positive", -0.1, 0.5, "not confirmed"),
        ("possibly positive", -0.6, -0.1, "contradicted"),
        ("negative", -0.6, -0.1, "agrees"),
        ("none", -0.2, 0.3, "agrees"),
        ("possibly none", 0.05, 0.3, "does not agree"),
        ("mixed", 0.1, 0.5, "not compared"),
        ("", 0.1, 0.5, "not compared"),
    ],
)
def test_agreement_rule(direction, lb, ub, verdict):
    assert agreement(direction, lb, ub)[0] == verdict


def test_rows_carry_the_finding_and_the_pooled_result():
    findings = pd.DataFrame(
        [
            {
                "finding_id": "H-4.3-04",
                "section": "4.3",
                "direction": "limited positive",
                "claim_en_translation": "The overall impact ... appears limited.",
                "claim_nl": "De totale impact ... lijkt beperkt.",
            }
        ]
    )
    pooled = {"estimate": 0.31, "ci_lb": 0.13, "ci_ub": 0.49, "certainty": "low"}
    t = compare_with_findings(pooled, findings, ["H-4.3-04"], "own")
    row = t.iloc[0]
    assert row["agreement"] == "agrees" and row["certainty"] == "low" and row["claim_nl"].startswith("De totale")
    assert row["sentence"] == (
        "In direction, the pooled result agrees with this conclusion: the pooled CI lies above no effect."
    )
    with pytest.raises(InputError, match="review_findings names 'H-9.9-99'"):
        compare_with_findings(pooled, findings, ["H-9.9-99"], "own")
