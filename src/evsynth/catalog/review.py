"""The outputs of the review's stages: the input check, the study tables, the quality
assessment and the extraction of effect sizes from the coded studies (all in the results
folder, outside any analysis)."""

from __future__ import annotations

from evsynth.catalog.entries import Output, entry

__all__ = ["REVIEW"]

_STUDIES_WHEN = {
    "effect_statements": ("config", "studies.effect_statements"),
    "effect_direction": ("config", "studies.effect_statements"),
    "findings": ("config", "studies.findings"),
}

REVIEW: tuple[Output, ...] = (
    entry(
        "inputs_checked",
        "checks/inputs.txt",
        "check-inputs",
        "what check-inputs checked, one line per file",
        kind="text",
    ),
    # the review: study tables
    *(
        entry(n, f"studies/{n}.csv", "studies", meaning, cols, when=_STUDIES_WHEN.get(n))
        for n, meaning, cols in (
            (
                "study_characteristics",
                "one row per coded primary study",
                "row,study_id,authors,year,country,intervention",
            ),
            (
                "quality_by_design",
                "quality scores by design (count, mean, median, range, distribution score_0 ...)",
                "design,n_rows,n_articles,n_scored,n_no_score_shown,mean,median,min,max",
            ),
            ("intervention_types", "studies per intervention type and design", "intervention_type"),
            (
                "outcome_domains",
                "studies per outcome domain",
                "outcome_domain,n_studies,n_rct,n_quasi_experimental,n_with_effect_statement,least_studied",
            ),
            (
                "evidence_gap",
                "studies per outcome domain and intervention type (the evidence gap map)",
                "outcome_domain,intervention_type,n_studies,n_rct,n_quasi_experimental",
            ),
            ("prisma_counts", "the search and selection flow (PRISMA boxes)", "stage,box,n"),
            ("reviews", "the coded reviews (Bijlage 6)", "row,review_id,title,authors,year"),
            ("nji_interventions", "the NJI interventions table", "intervention,group"),
            (
                "nji_findings",
                "the NJI review findings",
                "review,finding,value,value_low,value_high,unit,sentence,source",
            ),
            ("effect_statements", "the coded effect statements (Bijlage 5)", "statement_id,row,statement_no,kind"),
            (
                "effect_direction",
                "direction of the effect statements per intervention type and outcome domain",
                "intervention_type,outcome_domain,n_statements,n_study_rows,n_positive,n_none,n_negative,n_mixed,"
                "n_unknown,statement_ids",
            ),
            (
                "findings",
                "the findings of the seeds (claims with their source lines)",
                "finding_id,source_document,section,claim_nl,claim_en_translation",
            ),
        )
    ),
    # the review: quality
    entry(
        "quality_scores",
        "quality/scores.csv",
        "quality",
        "per study: published and computed quality total, and each rater's total (total_<rater>)",
        "study_id,design,published_total,computed_total,status,mismatch,note,score_used",
    ),
    entry(
        "quality_summary",
        "quality/summary.csv",
        "quality",
        "one row: how many studies are scored and how",
        "n_studies,n_total_only,n_item_level,n_not_scored,n_mismatch,min_score,n_at_or_above_min_score",
    ),
    entry(
        "quality_agreement",
        "quality/agreement.csv",
        "quality",
        "agreement and kappa between raters per item",
        "item,rater_1,rater_2,n_pairs,percent_agreement,kappa",
    ),
    entry(
        "published_vs_computed",
        "quality/published_vs_computed.csv",
        "quality",
        "studies scored item by item: the published total beside the computed one",
        "study_id,design,published_total,computed_total,status,mismatch,note,score_used",
    ),
    entry(
        "quality_items",
        "quality/item_summary.csv",
        "quality",
        "judgements per quality item",
        "item,yes,no,unclear,n",
    ),
    entry(
        "assessment_template",
        "quality/assessment_template.csv",
        "quality",
        "a blank item-level assessment form per study and rater",
        "study_id,rater,item,judgement,support_quote,question_en",
    ),
    # the review: extraction
    entry(
        "effects_computed",
        "extraction/effects_computed.csv",
        "extraction",
        "effect sizes computed from the reported statistics of the coded studies",
        "effect_id,study_id,outcome,outcome_domain,timepoint,yi,vi,formula,direction",
    ),
    entry(
        "extraction_coverage",
        "extraction/coverage.csv",
        "extraction",
        "per coded study row: effect sizes extracted",
        "study_id,row,authors,year,n_articles,n_effect_sizes,status",
    ),
    entry(
        "extraction_summary",
        "extraction/summary.csv",
        "extraction",
        "one row: rows, articles, rows extracted, effect sizes",
        "n_rows,n_articles,n_rows_extracted,n_effect_sizes",
    ),
    entry(
        "pooled_by_domain",
        "extraction/pooled_by_domain.csv",
        "extraction",
        "the extracted effect sizes pooled per outcome domain",
        "outcome_domain,k_studies,k_effects,model,estimate,se,ci_lb,ci_ub,pval,tau2,I2,note",
    ),
    entry(
        "moderators_by_domain",
        "extraction/moderators_by_domain.csv",
        "extraction",
        "design and quality as moderators per outcome domain",
        "outcome_domain,analysis,term,k_studies,estimate,se,ci_lb,ci_ub,pval,QM,QMp,note",
    ),
    entry(
        "extraction_template",
        "extraction/extraction_template.csv",
        "extraction",
        "the extraction table's columns with one row per coded study, to fill in",
        "effect_id,study_id",
    ),
)
