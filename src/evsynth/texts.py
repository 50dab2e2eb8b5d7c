"""Fixed wording shared by several layers (the review codes by it, the report states it).

Plain constants and word choices only: this module imports nothing, so any layer may use it."""

__all__ = ["DIRECTION_RULE", "effect_size_word", "size_metric"]

LOGOR_TO_D = 0.5513288954217921  # sqrt(3) / pi: a log odds ratio as a standardised mean difference (Chinn, 2000)

DIRECTION_RULE = (
    "Every effect is expressed so that a positive value means improvement for the family: where the "
    "extraction row says a higher score is not better (higher_is_better = no), the effect is multiplied "
    "by -1. Group 1 is always the intervention group."
)


def size_metric(spec: dict) -> str:
    """The scale an analysis' effect sizes are put into words on: ``logor`` (odds ratios),
    ``r`` (correlations) or ``d`` (everything else)."""
    m = (spec.get("effect") or {}).get("measure")
    return "logor" if m in ("OR", "PETO") else "r" if m in ("PCOR", "COR", "ZCOR", "UCOR") else "d"


def effect_size_word(value: float, metric: str = "d") -> str:
    """Cohen's (1988) size of an effect: SMD |d| .2/.5/.8 ("negligible" below .2), correlations
    |r| .1/.3/.5, log odds ratios first converted to d by log(OR) sqrt(3)/pi."""
    if metric == "r":
        a = abs(value)
        return "negligible" if a < 0.1 else "small" if a < 0.3 else "medium" if a < 0.5 else "large"
    a = abs(value * LOGOR_TO_D if metric == "logor" else value)
    return "negligible" if a < 0.2 else "small" if a < 0.5 else "medium" if a < 0.8 else "large"


__all__ += [
    "COLUMN_LABELS",
    "column_label",
    "plural",
    "percent",
    "INTERCEPT_LABEL",
    "SOURCE_DOCUMENTS",
    "reader_source",
    "GLOSSARY",
    "statement_kind",
]

# Column headings a reader sees (report tables in HTML and PDF, figure axes): one dictionary for
# every results and data table shown.  A column not listed here keeps its name with "_" read as a
# space (column_label); tests/present/test_labels.py fails on any bare internal name in report.html.
COLUMN_LABELS = {
    # model results
    "model": "model",
    "term": "term",
    "estimate": "estimate",
    "se": "standard error",
    "stat": "test statistic",
    "tval": "t value",
    "zval": "z value",
    "pval": "p",
    "ci_lb": "CI lower",
    "ci_ub": "CI upper",
    "k": "effect sizes (k)",
    "QM": "Q (moderator)",
    "QMp": "p (moderator)",
    "QM_df1": "df (moderator)",
    "QM_df2": "df (residual)",
    "QE": "Q (residual)",
    "QEp": "p (residual Q)",
    "tau2": "tau²",
    "I2": "I²",
    "R2": "R² (variance explained)",
    "df": "df",
    "n_clusters": "clusters",
    "subgroup_variable": "subgrouped by",
    "group": "group",
    "Q_between": "Q (between groups)",
    "df_between": "df (between groups)",
    "p_between": "p (between groups)",
    "moderator": "moderator",
    "pval_permutation": "p (permutation)",
    "pval_asymptotic": "p (asymptotic)",
    "iterations": "permutations",
    "seed": "random seed",
    "analysis": "analysis",
    "dataset": "data set",
    "row": "row",
    "study": "study",
    "reason": "reason",
    "note": "note",
    "notes": "notes",
    # extraction of the 47 studies
    "outcome_domain": "outcome domain",
    "k_studies": "studies",
    "k_effects": "effect sizes",
    "k_es": "effect sizes",
    "effect_id": "effect",
    "study_id": "study",
    "outcome": "outcome",
    "timepoint": "time point",
    "yi": "effect size",
    "vi": "sampling variance",
    "formula": "formula",
    "direction": "direction",
    "source_url": "source",
    "source_quote": "quoted from the source",
    "approximation": "approximated",
    "approximation_note": "what was approximated",
    "adjusted": "adjusted statistic",
    "coder": "coder",
    # study tables
    "intervention_type": "intervention type",
    "RCT": "RCT",
    "quasi-experimental": "quasi-experimental",
    "total": "total",
    "item": "quality item",
    "rater_1": "rater 1",
    "rater_2": "rater 2",
    "n_pairs": "pairs",
    "percent_agreement": "agreement (%)",
    "kappa": "Cohen's kappa",
    "authors": "authors",
    "year": "year",
    "title": "title",
    "source_database": "source",
    "designs_included": "designs",
    "population": "population",
    "interventions": "interventions",
    "findings_statements": "findings",
    # NJI (2020)
    "intervention": "intervention",
    "erkend_dec2019": "recognised (erkend) by December 2019",
    "klaassen_vermaat_2015_included": "in Klaassen-Vermaat et al. (2015)",
    "klaassen_vermaat_2015_max_effect": "largest effect (Klaassen-Vermaat et al., 2015)",
    "evenboer_2018_included": "in Evenboer et al. (2018)",
    "evenboer_2018_conclusion": "conclusion of Evenboer et al. (2018)",
    "rct_evidence": "randomised trials",
    "review": "review",
    "finding": "finding",
    "value": "value",
    "value_low": "from",
    "value_high": "to",
    "unit": "unit",
    "sentence": "sentence (verbatim)",
    # published estimates and listed tables
    "source_row": "source row",
    "metric": "metric",
    "N": "participants (N)",
    "verbatim": "what the source says (verbatim)",
    "caveat_derived": "caveat (derived from the metric)",
    "source_sheet": "source sheet",
    "ref_id": "reference",
    "instrument": "instrument",
    "column": "column",
    "found": "value found",
    "reading": "read as",
    "comparisons": "comparisons",
    "favour_intervention": "favour the intervention",
    "favour_comparator": "favour the comparator",
    "median_smd": "median SMD",
    "vote": "vote count",
    "direction_of_effect": "authors' direction of effect",
    "authors_reading": "authors' reading",
    "agrees": "agrees",
    "study_sheet": "study sheet",
    "study_row": "study row",
    "deltype": "type of delinquency",
    "pubstatus": "publication status",
    "id_exp": "experiment",
}


def column_label(name: str) -> str:
    """The heading of column ``name`` for a reader (COLUMN_LABELS, else the name with '_' as
    a space)."""
    return COLUMN_LABELS.get(str(name), str(name).replace("_", " "))


def plural(n, singular: str, plural_form: str | None = None) -> str:
    """'1 study', '2 studies', '0 studies': the count and the noun in the right number
    (plural: singular + 's', or 'y' -> 'ies' after a consonant, unless given)."""
    if plural_form is None:
        plural_form = (
            singular[:-1] + "ies" if singular.endswith("y") and singular[-2:-1] not in "aeiou" else singular + "s"
        )
    try:
        one = float(str(n)) == 1
    except ValueError:
        one = False
    return f"{n} {singular if one else plural_form}"


def percent(value, digits: int = 1) -> str:
    """A share already on the 0-100 scale (I², R², agreement) as '27.3%'; empty stays empty."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if x != x:  # NaN
        return ""
    return f"{x:.{digits}f}%"


INTERCEPT_LABEL = "Intercept (average effect)"

# The source documents the coded tables cite, by the file name of their text
SOURCE_DOCUMENTS = {"003_169077222a0c6c24.txt": "Holwerda et al. (2014)", "000_d6eb5ec40b6ce6bc.txt": "NJI (2020)"}


def reader_source(text: str) -> str:
    """A provenance string as a reader should see it: 'seed <file> lines a-b' becomes
    'source text lines a-b' (the provenance strings name the document already; the file
    is one of the two source documents, SOURCE_DOCUMENTS)."""
    import re

    out = re.sub(
        r"\bseed (?:file )?(\d{3}_[0-9a-f]+\.txt)",
        lambda m: "source text" if m.group(1) in SOURCE_DOCUMENTS else f"source text {m.group(1)}",
        str(text),
    )
    return re.sub(r"\bseed lines\b", "source lines", out)


# The glossary of the report (glossary.json): (anchor, term, definition, phrases).  ``phrases`` are the
# regular expressions by which the report's text uses the term; the first use in the HTML
# links to the entry (#g-<anchor>).  Definitions follow the Cochrane Handbook (Higgins et al.,
# version 6.4, 2023, chapters 10, 13 and 14), Borenstein et al. (2009) and the GRADE handbook.
def _glossary() -> list[tuple[str, str, str, list[str]]]:
    """The glossary entries of ``glossary.json`` (next to this module) as tuples."""
    import json
    from pathlib import Path

    rows = json.loads((Path(__file__).with_name("glossary.json")).read_text(encoding="utf-8"))
    return [(r["anchor"], r["term"], r["definition"], list(r["phrases"])) for r in rows]


GLOSSARY = _glossary()

# metafor's names of the tau² estimators and of the tests, in words (report text)
ESTIMATOR_WORDS = {
    "REML": "restricted maximum likelihood (REML)",
    "ML": "maximum likelihood (ML)",
    "DL": "DerSimonian-Laird (DL)",
    "HE": "Hedges (HE)",
    "HS": "Hunter-Schmidt (HS)",
    "SJ": "Sidik-Jonkman (SJ)",
    "EB": "empirical Bayes (EB)",
    "PM": "Paule-Mandel (PM)",
    "EE": "none: equal-effects model (EE)",
    "FE": "none: fixed-effect model (FE)",
}
TEST_WORDS = {
    "z": "z test (normal distribution)",
    "t": "t test",
    "knha": "Knapp-Hartung",
    "adhoc": "Knapp-Hartung with the ad hoc correction (never narrower than the z test)",
}
__all__ += ["ESTIMATOR_WORDS", "TEST_WORDS"]


def statement_kind(level: int, estimate: float, mid: float, metric: str = "d") -> tuple[str, int]:
    """The form of GRADE's plain-language statement of one pooled outcome (Santesso et al., 2020,
    Table 2) as ``(kind, side)``: kind ``"uncertain"`` (very low certainty: no size, no direction),
    ``"null"`` (below the smallest important effect ``mid``), ``"slight"``, ``"large"`` or
    ``"plain"`` (Cohen's sizes on the analysis scale, see :func:`effect_size_word`); side 0 when the
    estimate is positive, 1 otherwise.  ``evsynth.review.grade.statement`` words it in English,
    the report in the other languages."""
    side = 0 if estimate > 0 else 1
    if level <= 1:
        return "uncertain", side
    if abs(estimate) < mid:
        return "null", side
    size = effect_size_word(estimate, metric)
    return ("slight" if size in ("negligible", "small") else "large" if size == "large" else "plain"), side
