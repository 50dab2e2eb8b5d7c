"""The 11-item form as a scoring engine, and the coded tables' counts against the seed."""

import numpy as np
import pandas as pd
import pytest

from evsynth.pipeline.io import load_table
from evsynth.pipeline.inputs import load_form, load_prisma
from evsynth.review.prisma import prisma_counts
from evsynth.review.quality import (
    agreement,
    assessment_template,
    cohen_kappa,
    consensus_totals,
    published_vs_computed,
    quality_filter,
    score,
)

from conftest import ROOT

FORM = load_form(ROOT / "data/quality/form.yaml")
STUDIES = load_table(ROOT / "data/holwerda2014/primary_studies.csv", "primary_studies")


def test_form_has_items_a_to_k_and_scoring():
    assert FORM.item_ids == list("ABCDEFGHIJK")
    assert FORM.scoring == {"yes": 1, "no": 0, "unclear": 0} and FORM.max_total == 11
    assert FORM.items[0]["question_nl"] == "Was de methode van randomisatie adequaat?"


def test_coded_table_counts_match_the_seed():
    # Bijlage 5: 47 articles in 46 rows ("3 en 4" covers two)
    assert len(STUDIES) == 46 and STUDIES["n_articles"].sum() == 47
    assert STUDIES.loc[STUDIES["row"] == "3 en 4", "article_ids"].item() == "3;4"
    designs = STUDIES.groupby("design")["n_articles"].sum().to_dict()
    assert designs == {"RCT": 40, "quasi-experimental": 7}


@pytest.mark.parametrize(
    "row,authors,score",
    [
        ("1", "Armstrong et al.", 2),  # seed lines 4752-4753: "RCT / 2"
        ("9", "Brandon & Connolly", 0),  # "Quasi- exp / 0"
        ("27", "Mc Millan et al.", 7),  # "RCT / 7"
        ("37", "Chaffin et al.", 6),  # "RCT / 6"
        ("46", "Tolan et al.", 3),  # score printed after the outcome list
    ],
)
def test_published_quality_scores(row, authors, score):
    r = STUDIES[STUDIES["row"] == row].iloc[0]
    assert r["authors"] == authors and int(r["quality_score"]) == score


def test_rows_without_a_score_stay_empty():
    # rows where the design runs into the effects text with no score shown in the seed
    empty = set(STUDIES.loc[STUDIES["quality_score"].isna(), "row"])
    assert empty == {"6", "13", "19", "21", "22", "23", "28", "30", "47"}


def test_lost_arrows_are_not_inferred():
    txt = " ".join(STUDIES["effect_statements"].fillna(""))
    assert "[?]" in txt and "\ufffd" not in txt
    assert not any(w in txt for w in ("improved", "increase", "decrease"))


def test_prisma_arithmetic_and_counts():
    p = load_prisma(ROOT / "data/holwerda2014/prisma.yaml")
    c = prisma_counts(p).set_index("box")["n"]
    assert c["records after de-duplication"] == 513 and c["records excluded"] == 432
    assert c["primary articles"] == 47 and c["reviews"] == 10
    assert 275 + 121 + 16 + 20 == 432 and 513 - 432 == 68 + 13 and 31 + 1 + 15 == 47


def _assess(rows):
    return pd.DataFrame(rows, columns=["study_id", "rater", "item", "judgement", "support_quote"])


def test_totals_per_rater_and_consensus():
    rows = [("armstrong2000", r, it, "yes" if it in "AC" else "no", "") for r in ("AH", "DJ") for it in "ABCDEFGHIJK"]
    df = _assess(rows)
    s = score(df, FORM)
    assert s["total"].tolist() == [2, 2] and s["complete"].all()
    c = consensus_totals(df, FORM)
    assert c["consensus_total"].item() == 2 and "agree" in c["consensus_source"].item()
    pvc = published_vs_computed(STUDIES, df, FORM).set_index("study_id")
    assert pvc.loc["armstrong2000", "status"] == "item_level" and not pvc.loc["armstrong2000", "mismatch"]
    assert pvc.loc["belsky2006", "status"] == "total_only"
    assert pvc.loc["barlow2013", "status"] == "not_scored"


def test_disagreement_and_mismatch_are_reported():
    rows = [("armstrong2000", "AH", it, "yes", "") for it in "ABCDEFGHIJK"]
    rows += [("armstrong2000", "DJ", it, "yes" if it != "B" else "no", "") for it in "ABCDEFGHIJK"]
    c = consensus_totals(_assess(rows), FORM)
    assert c["consensus_total"].isna().item() and "disagree on item(s) B" in c["consensus_source"].item()
    rows += [("armstrong2000", "consensus", it, "yes", "") for it in "ABCDEFGHIJK"]
    pvc = published_vs_computed(STUDIES, _assess(rows), FORM).set_index("study_id")
    assert pvc.loc["armstrong2000", "mismatch"]  # published 2, consensus 11
    assert "differs from published 2" in pvc.loc["armstrong2000", "note"]


def test_kappa_matches_statsmodels():
    from statsmodels.stats.inter_rater import cohens_kappa

    rng = np.random.default_rng(7)
    cats = np.array(["yes", "no", "unclear"])
    a = cats[rng.integers(0, 3, 60)]
    b = np.where(rng.random(60) < 0.7, a, cats[rng.integers(0, 3, 60)])
    table = pd.crosstab(pd.Categorical(a, cats), pd.Categorical(b, cats), dropna=False).to_numpy()
    assert cohen_kappa(a, b) == pytest.approx(cohens_kappa(table).kappa, rel=1e-12)


def test_agreement_per_item():
    rows = [("s1", r, it, j, "") for r, j in (("AH", "yes"), ("DJ", "no")) for it in "A"]
    rows += [("s2", r, "A", "yes", "") for r in ("AH", "DJ")]
    ag = agreement(_assess(rows)).set_index("item")
    assert ag.loc["A", "n_pairs"] == 2 and ag.loc["A", "percent_agreement"] == 50.0


def test_quality_filter_and_template():
    pvc = published_vs_computed(STUDIES, _assess([]), FORM)
    keep, drop = quality_filter(pvc, 4)
    assert "mcmillan2005" in keep and "brandon2006" in drop and "barlow2013" in drop
    t = assessment_template(STUDIES, FORM)
    assert len(t) == 46 * 2 * 11 and set(t["item"]) == set("ABCDEFGHIJK")
