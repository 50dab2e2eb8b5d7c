"""Fixed wording shared by several layers (the review codes by it, the report states it).

Plain constants and word choices only: this module imports nothing, so any layer may use it."""

__all__ = ["DIRECTION_RULE", "effect_size_word", "size_metric"]

LOGOR_TO_D = 0.5513288954217921  # sqrt(3) / pi: a log odds ratio as a standardised mean difference (Chinn, 2000)

DIRECTION_RULE = ("Every effect is expressed so that a positive value means improvement for the family: where the "
                  "extraction row says a higher score is not better (higher_is_better = no), the effect is multiplied "
                  "by -1. Group 1 is always the intervention group.")


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

__all__ += ["COLUMN_LABELS", "column_label", "plural", "percent", "INTERCEPT_LABEL", "SOURCE_DOCUMENTS",
            "reader_source", "GLOSSARY"]

# Column headings a reader sees (report tables in HTML and PDF, figure axes): one dictionary for
# every results and data table shown.  A column not listed here keeps its name with "_" read as a
# space (column_label); tests/test_labels.py fails on any bare internal name in report.html.
COLUMN_LABELS = {
    # model results
    "model": "model", "term": "term", "estimate": "estimate", "se": "standard error", "stat": "test statistic",
    "tval": "t value", "zval": "z value", "pval": "p", "ci_lb": "CI lower", "ci_ub": "CI upper", "k": "effect sizes (k)",
    "QM": "Q (moderator)", "QMp": "p (moderator)", "QM_df1": "df (moderator)", "QM_df2": "df (residual)",
    "QE": "Q (residual)", "QEp": "p (residual Q)", "tau2": "tau²", "I2": "I²", "R2": "R² (variance explained)",
    "df": "df", "n_clusters": "clusters", "subgroup_variable": "subgrouped by", "group": "group",
    "Q_between": "Q (between groups)", "df_between": "df (between groups)", "p_between": "p (between groups)",
    "moderator": "moderator", "pval_permutation": "p (permutation)", "pval_asymptotic": "p (asymptotic)",
    "iterations": "permutations", "seed": "random seed", "analysis": "analysis", "dataset": "data set",
    "row": "row", "study": "study", "reason": "reason", "note": "note", "notes": "notes",
    # extraction of the 47 studies
    "outcome_domain": "outcome domain", "k_studies": "studies", "k_effects": "effect sizes", "k_es": "effect sizes",
    "effect_id": "effect", "study_id": "study", "outcome": "outcome", "timepoint": "time point", "yi": "effect size",
    "vi": "sampling variance", "formula": "formula", "direction": "direction", "source_page": "source page",
    "coder": "coder",
    # study tables
    "intervention_type": "intervention type", "RCT": "RCT", "quasi-experimental": "quasi-experimental",
    "total": "total", "item": "quality item", "rater_1": "rater 1", "rater_2": "rater 2", "n_pairs": "pairs",
    "percent_agreement": "agreement (%)", "kappa": "Cohen's kappa", "authors": "authors", "year": "year",
    "title": "title", "source_database": "source", "designs_included": "designs", "population": "population",
    "interventions": "interventions", "findings_statements": "findings",
    # NJI (2020)
    "intervention": "intervention", "erkend_dec2019": "recognised (erkend) by December 2019",
    "klaassen_vermaat_2015_included": "in Klaassen-Vermaat et al. (2015)",
    "klaassen_vermaat_2015_max_effect": "largest effect (Klaassen-Vermaat et al., 2015)",
    "evenboer_2018_included": "in Evenboer et al. (2018)", "evenboer_2018_conclusion": "conclusion of Evenboer et al. (2018)",
    "rct_evidence": "randomised trials", "review": "review", "finding": "finding", "value": "value",
    "value_low": "from", "value_high": "to", "unit": "unit", "sentence": "sentence (verbatim)",
    # published estimates and listed tables
    "source_row": "source row", "metric": "metric", "N": "participants (N)", "verbatim": "what the source says (verbatim)",
    "caveat_derived": "caveat (derived from the metric)", "source_sheet": "source sheet", "ref_id": "reference",
    "instrument": "instrument", "column": "column", "found": "value found", "reading": "read as",
    "comparisons": "comparisons", "favour_intervention": "favour the intervention",
    "favour_comparator": "favour the comparator", "median_smd": "median SMD", "vote": "vote count",
    "direction_of_effect": "authors' direction of effect", "authors_reading": "authors' reading", "agrees": "agrees",
    "study_sheet": "study sheet", "study_row": "study row", "deltype": "type of delinquency",
    "pubstatus": "publication status", "id_exp": "experiment",
}


def column_label(name: str) -> str:
    """The heading of column ``name`` for a reader (COLUMN_LABELS, else the name with '_' as
    a space)."""
    return COLUMN_LABELS.get(str(name), str(name).replace("_", " "))


def plural(n, singular: str, plural_form: str | None = None) -> str:
    """'1 study', '2 studies', '0 studies': the count and the noun in the right number
    (plural: singular + 's', or 'y' -> 'ies' after a consonant, unless given)."""
    if plural_form is None:
        plural_form = (singular[:-1] + "ies" if singular.endswith("y") and singular[-2:-1] not in "aeiou"
                       else singular + "s")
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

    out = re.sub(r"\bseed (?:file )?(\d{3}_[0-9a-f]+\.txt)", lambda m: "source text" if m.group(1) in SOURCE_DOCUMENTS
                 else f"source text {m.group(1)}", str(text))
    return re.sub(r"\bseed lines\b", "source lines", out)

# The glossary of the report: (anchor, term, definition, phrases).  ``phrases`` are the
# regular expressions by which the report's text uses the term; the first use in the HTML
# links to the entry (#g-<anchor>).  Definitions follow the Cochrane Handbook (Higgins et al.,
# version 6.4, 2023, chapters 10, 13 and 14), Borenstein et al. (2009) and the GRADE handbook.
GLOSSARY = [
    ("pooled-effect", "pooled effect (average effect)",
     "One number that summarises the effect across studies: a weighted average of the studies' effect sizes, "
     "where more precise studies weigh more.", [r"pooled (?:effect|estimate)s?", r"average effect"]),
    ("effect-size", "effect size",
     "A number that expresses how large the difference between the intervention and the comparison group is, "
     "on a scale that can be compared across studies (for example an SMD, an odds ratio or a correlation).",
     [r"effect sizes?"]),
    ("smd", "standardised mean difference (SMD, Cohen's d, Hedges' g)",
     "The difference between the group means divided by the standard deviation, so that studies using different "
     "questionnaires can be combined. 0.2 is usually called small, 0.5 medium and 0.8 large (Cohen, 1988); "
     "Hedges' g corrects d for small samples.",
     [r"standardi[sz]ed mean differences?", r"\bSMD\b", r"Hedges' g", r"Cohen's d"]),
    ("odds-ratio", "odds ratio (OR)",
     "The odds of an outcome in the intervention group divided by the odds in the comparison group; 1 means no "
     "difference. Analyses use its logarithm (log odds ratio), where 0 means no difference.",
     [r"(?:log )?odds ratios?"]),
    ("risk-ratio", "risk ratio (RR)",
     "The risk (proportion of people with the outcome, e.g. a placement) in the intervention group divided by the "
     "risk in the comparison group; 1 means no difference, 0.8 means a 20% lower risk.", [r"(?:log )?risk ratios?"]),
    ("correlation", "correlation (r, partial correlation)",
     "A measure from -1 to 1 of how strongly two quantities go together; a partial correlation does so after "
     "taking other variables of a regression into account. 0.1 is usually called small, 0.3 medium, 0.5 large.",
     [r"(?:partial )?correlations?"]),
    ("ci", "confidence interval (CI)",
     "The range of values for the average effect that are compatible with the data: a 95% CI is constructed so "
     "that in 95% of repeated studies it would contain the true average effect. An interval that includes no "
     "effect (0, or 1 for ratios) means the direction of the effect is uncertain.",
     [r"confidence intervals?", r"\bCIs?\b"]),
    ("prediction-interval", "prediction interval",
     "The range in which the true effect of a new, comparable study or setting is expected to lie (95%). It is "
     "wider than the confidence interval when effects differ between studies.", [r"prediction intervals?"]),
    ("heterogeneity", "heterogeneity",
     "Differences between the true effects of the studies beyond what chance (sampling error) explains: the "
     "intervention works better in some studies than in others.", [r"heterogeneity"]),
    ("q", "Q test (Cochran's Q)",
     "A test of whether the studies' effects differ more than chance would explain; a small p value indicates "
     "heterogeneity. With few studies it has little power.", [r"\bQ \(df\)", r"Cochran's Q", r"\bQ test"]),
    ("tau2", "tau² (between-study variance)",
     "The variance of the true effects across studies, on the scale of the effect size; its square root tau is "
     "the typical deviation of a study's true effect from the average.", [r"tau²", r"\btau2\b"]),
    ("i2", "I²",
     "The percentage of the variation between the studies' results that is due to real differences rather than "
     "chance. The Cochrane Handbook (section 10.10.2) reads 0-40% as possibly unimportant, 30-60% as moderate, "
     "50-90% as substantial and 75-100% as considerable heterogeneity (the ranges overlap on purpose).", [r"I²"]),
    ("random-effects", "random-effects model",
     "A meta-analysis model that assumes the true effect differs between studies and estimates the average of "
     "those true effects and their spread (tau²).", [r"random[- ]effects?"]),
    ("estimator", "tau² estimator (REML, DL, PM, ...)",
     "The method used to estimate tau²: restricted maximum likelihood (REML), DerSimonian-Laird (DL), Paule-Mandel "
     "(PM), empirical Bayes (EB) and others; they give similar answers with many studies and can differ with few.",
     [r"\bestimator\b", r"\bREML\b"]),
    ("knapp-hartung", "Knapp-Hartung adjustment",
     "A way to compute the confidence interval and test of the average effect with a t distribution and an "
     "adjusted standard error; it gives more honest (usually wider) intervals when there are few studies.",
     [r"Knapp[- ]Hartung"]),
    ("p-value", "p value",
     "The probability of a result at least as extreme as the one observed if there were truly no effect; a small p "
     "(e.g. below 0.05) is evidence against no effect, not a measure of how large or important the effect is.",
     [r"p values?"]),
    ("moderator", "moderator, meta-regression",
     "A study characteristic (e.g. hours per week, design) tested as a reason why effects differ; a meta-regression "
     "relates the effect sizes to one or more moderators. With few studies such tests are exploratory.",
     [r"moderators?", r"meta-regressions?"]),
    ("intercept", "intercept",
     "In a meta-regression, the expected effect where every moderator is at zero or at its reference level; "
     "without moderators it is the average effect.", [r"[Ii]ntercept"]),
    ("r2", "R² (variance explained)",
     "In a meta-regression, the percentage of the between-study variance (tau²) that the moderators account for.",
     [r"R²"]),
    ("subgroup", "subgroup analysis",
     "The studies are split by a characteristic (e.g. juveniles vs adults) and pooled separately; a test of subgroup "
     "differences asks whether the subgroups' averages differ more than chance would explain.", [r"[Ss]ubgroups?"]),
    ("multilevel", "multilevel (three-level) model",
     "A model for several effect sizes from the same study: it separates variation between effect sizes within a "
     "study from variation between studies, so that a study with many effect sizes does not count as many studies.",
     [r"three-level", r"multilevel", r"multi-level"]),
    ("robust", "cluster-robust variance (CR2)",
     "Standard errors and tests that stay valid when effect sizes from the same study are correlated in unknown "
     "ways; CR2 with Satterthwaite degrees of freedom works well with few studies (Pustejovsky & Tipton, 2018).",
     [r"cluster-robust", r"robust variance", r"\bCR2\b"]),
    ("permutation", "permutation test",
     "A test that shuffles the moderator values across studies many times and asks how often a result as strong "
     "as the observed one appears by chance; it does not rely on a normal distribution.", [r"permutation tests?"]),
    ("sensitivity", "sensitivity analysis",
     "The analysis repeated with a different choice (e.g. leaving out non-randomised studies) to see whether the "
     "conclusion depends on it.", [r"[Ss]ensitivity(?: analys[ie]s)?"]),
    ("leave-one-out", "leave-one-out analysis",
     "The pooled effect computed again with each study left out in turn; it shows whether one study drives the "
     "result.", [r"[Ll]eave-one-out", r"[Ll]eaving out one study"]),
    ("influence", "influential study (Cook's distance, DFFITS, hat value)",
     "A study whose removal would change the pooled result markedly; metafor flags it by Cook's distance, DFFITS "
     "or its hat value (leverage).", [r"[Ii]nfluential stud(?:y|ies)", r"Cook's distance", r"DFFITS"]),
    ("publication-bias", "publication bias, small-study effects",
     "Studies with small or non-significant effects are less often published, so the published studies may "
     "overstate the effect; small studies showing larger effects than large ones is a warning sign.",
     [r"publication bias", r"small-study effects?"]),
    ("funnel-plot", "funnel plot",
     "Each study's effect plotted against its precision; without bias the points form a symmetric funnel. It needs "
     "at least 10 studies to be read (Sterne et al., 2011).", [r"funnel plots?", r"\bfunnel\b"]),
    ("egger", "Egger's test",
     "A regression test of funnel plot asymmetry; a small p value (below 0.10) suggests small-study effects.",
     [r"Egger(?:'s)?"]),
    ("begg", "Begg's rank correlation test",
     "A rank correlation (Kendall's tau) between effect sizes and their variances; another test of funnel "
     "asymmetry, with less power than Egger's.", [r"Begg(?:'s)?"]),
    ("trim-and-fill", "trim-and-fill",
     "A method that imputes the studies a symmetric funnel would need and re-estimates the pooled effect; a rough "
     "check of how much publication bias could change the result.", [r"[Tt]rim-and-fill"]),
    ("fail-safe-n", "fail-safe N (Rosenthal)",
     "How many unpublished studies with no effect would be needed to make the pooled result non-significant; "
     "widely criticised and shown only for completeness.", [r"fail-safe N"]),
    ("pet-peese", "PET-PEESE",
     "Regressions of the effect sizes on their standard errors (PET) or variances (PEESE); the predicted effect of "
     "a study with no sampling error is an estimate corrected for small-study effects.", [r"PET-PEESE", r"\bPET\b",
                                                                                        r"\bPEESE\b"]),
    ("q-profile", "Q-profile confidence interval",
     "A confidence interval for tau² and I² (Viechtbauer, 2007): how uncertain the amount of heterogeneity is.",
     [r"Q-profile"]),
    ("grade", "GRADE (certainty of the evidence)",
     "A system for rating how sure we can be of a result: high (further research is very unlikely to change it), "
     "moderate (likely close to the truth), low (may be substantially different) or very low (very uncertain). "
     "Randomised evidence starts high, other evidence low; it is rated down for risk of bias, inconsistency, "
     "imprecision, indirectness and publication bias.", [r"GRADE", r"[Cc]ertainty of the evidence"]),
    ("risk-of-bias", "risk of bias",
     "The chance that flaws in a study's design or conduct (e.g. no random allocation, many drop-outs) make its "
     "result wrong.", [r"[Rr]isk of bias"]),
    ("indirectness", "indirectness",
     "Evidence about other people, interventions or outcomes than the question asks about (here: neighbouring "
     "fields); GRADE rates such evidence down.", [r"[Ii]ndirect(?:ness)?"]),
    ("imprecision", "imprecision",
     "A confidence interval so wide that it includes effects that would lead to different decisions.",
     [r"[Ii]mprecision"]),
    ("rct", "randomised controlled trial (RCT)",
     "A study in which chance decides who receives the intervention; the strongest design for causal conclusions.",
     [r"\bRCTs?\b", r"randomised (?:controlled )?trials?"]),
    ("quasi-experimental", "quasi-experimental study",
     "A comparison of an intervention group with a control group that was not formed by chance; more open to bias "
     "than an RCT.", [r"quasi-experiment(?:al|s)?"]),
    ("prisma", "PRISMA flow diagram",
     "The standard diagram of how many records a systematic review found, screened, excluded (with reasons) and "
     "included (Page et al., 2021).", [r"PRISMA"]),
    ("kappa", "Cohen's kappa",
     "Agreement between two raters corrected for the agreement expected by chance: 0 is chance level, 1 perfect.",
     [r"\bkappa\b"]),
    ("multiverse", "multiverse analysis, specification curve",
     "The analysis repeated under every combination of defensible analytic choices, to show how much the result "
     "depends on them (Simonsohn, Simmons & Nelson, 2020).", [r"[Mm]ultiverse", r"specification curve"]),
    ("gap-map", "evidence gap map",
     "A table or chart of how many studies exist for each combination of intervention type and outcome; empty "
     "cells are gaps in the evidence.", [r"evidence gap map"]),
    ("swim", "effect direction (SWiM)",
     "Synthesis without meta-analysis: counting whether studies report a benefit, harm or no difference when effect "
     "sizes are not available (Campbell et al., 2020).", [r"\bSWiM\b", r"[Ee]ffect direction"]),
]

# metafor's names of the tau² estimators and of the tests, in words (report text)
ESTIMATOR_WORDS = {"REML": "restricted maximum likelihood (REML)", "ML": "maximum likelihood (ML)",
                   "DL": "DerSimonian-Laird (DL)", "HE": "Hedges (HE)", "HS": "Hunter-Schmidt (HS)",
                   "SJ": "Sidik-Jonkman (SJ)", "EB": "empirical Bayes (EB)", "PM": "Paule-Mandel (PM)",
                   "EE": "none: equal-effects model (EE)", "FE": "none: fixed-effect model (FE)"}
TEST_WORDS = {"z": "z test (normal distribution)", "t": "t test", "knha": "Knapp-Hartung",
              "adhoc": "Knapp-Hartung with the ad hoc correction (never narrower than the z test)"}
__all__ += ["ESTIMATOR_WORDS", "TEST_WORDS"]
