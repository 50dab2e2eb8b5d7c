"""The catalogue of outputs: every result table (and the few other files) the pipeline
writes, each declared once, and every diagnostic once as a registry entry.

Who reads it: the Snakemake rules (``workflow/rules/*.smk``: the outputs of each rule), the
stages (:mod:`evsynth.pipeline.stages`: the file each table is written to, and a check that a
stage writes exactly its catalogued tables), the report's context reader (``path(name,
analysis=...)`` for the file it reads) and the config schema (its ``diagnostics`` enum is
:data:`DIAGNOSTICS`, filled in by :func:`evsynth.pipeline.config.config_schema`).

This module sits below ``pipeline`` and ``present`` and imports nothing of evsynth but
:mod:`evsynth.errors`; a diagnostic names the function that makes its tables as a dotted name
(``"evsynth.pipeline.diagnose:egger"``) that the pipeline resolves, so the catalogue never
imports the engine.

Paths are templates relative to a root folder: ``results`` (config ``results_dir``) or
``figures`` (config ``figures_dir``), with ``{analysis}`` for an analysis id (and
``{key}``/``{chunk}`` for the multiverse blocks).  ``columns`` are the columns a non-empty
table always has, in order; some tables add more (named in ``meaning``).  A table with no
rows is written as an empty file.

To add a diagnostic: see ``docs/architecture.md`` ("Adding a diagnostic")."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Output",
    "Diagnostic",
    "OUTPUTS",
    "DIAGNOSTICS",
    "output",
    "path",
    "file_name",
    "outputs",
    "wanted",
    "diagnostic_names",
    "figure_tables",
    "markdown",
    "DOC_BEGIN",
    "DOC_END",
]


@dataclass(frozen=True)
class Output:
    """One output file.

    ``name``: unique, used by code (``path("heterogeneity", analysis="barlow2014")``);
    ``path``: template relative to ``root`` (``"results"`` or ``"figures"``);
    ``stage``: the ``evsynth`` command that writes it (:data:`evsynth.pipeline.stages.STAGES`);
    ``columns``: the columns a non-empty table always has, in order;
    ``meaning``: one sentence for people;
    ``when``: None (always written) or ``("config", "studies.findings")`` / ``("analysis",
    "multiverse")``: written only when that config key (of the whole config, or of the
    analysis' entry) is set (``default``: its value where the key is absent);
    ``kind``: ``"csv"``, ``"text"``, ``"html"``, ``"pdf"`` or ``"folder"``;
    ``group``: a set of tables handled together (``"figures"``: what the figures draw).
    """

    name: str
    path: str
    stage: str
    meaning: str
    columns: tuple[str, ...] = ()
    when: tuple[str, str] | None = None
    kind: str = "csv"
    root: str = "results"
    group: str = ""
    default: bool = False  # ``when``'s value where the key is absent
    optional: bool = False  # written only when there is something to say (figure_notes.csv)


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic of the config's ``diagnostics:`` list.

    ``function``: dotted name ``"module:function"`` of the function that makes its tables
    from the analysis job (:class:`evsynth.pipeline.job.AnalysisJob`); it returns one data
    frame per name in ``tables`` (a dict when there are several).
    ``models``: the model types it runs on (``"univariate"``, ``"multilevel"``); on another the
    diagnostics notes say ``not_run`` for that type.  ``needs``: what it needs, in words.
    ``tables``: the tables it writes into ``<analysis>/diagnostics/``.  ``small_study``: a test or
    adjustment for small-study effects, run only from the analysis's ``small_study_min_k``
    studies (Sterne et al. 2011)."""

    name: str
    needs: str
    function: str
    tables: tuple[Output, ...]
    models: tuple[str, ...] = ("univariate",)
    not_run: dict = field(default_factory=dict)
    small_study: bool = False  # a test or adjustment for small-study effects: run from small_study_min_k studies


def _o(name, path, stage, meaning, columns="", **kw) -> Output:
    return Output(name, path, stage, meaning, tuple(c for c in columns.split(",") if c), **kw)


def _d(name, meaning, columns="", path=None) -> Output:
    """A table of the diagnose stage, in ``<analysis>/diagnostics/``."""
    return _o(name, path or f"{{analysis}}/diagnostics/{name}.csv", "diagnose", meaning, columns)


_FIT_COLUMNS = "model,term,estimate,se,stat,pval,ci_lb,ci_ub,k,QM,QM_df1,QM_df2,QMp,QE,QEp,tau2,R2"
_HET_COLUMNS = "k,estimate,se,ci_lb,ci_ub,stat,pval,df,pi_lb,pi_ub,QE,QE_df,QEp,method,test,tau2"
_HET_MORE = (
    "; then se_tau2, I2, H2 (univariate) or I2, H2 and per level sigma2_<j>, sigma2_<j>_name, "
    "I2_level<j>, nlevels_<j> (multilevel); n_studies, fewer_than_5_studies; for ratio measures "
    "estimate_exp ... pi_ub_exp"
)
_COUNTS_COLUMNS = "method,measure,estimate,se,zval,pval,ci_lb,ci_ub,QE,QEp,I2,H2,k,k_yi,MH,MHp,TA,TAp,flipped"

# ------------------------------------------------------------------------------ the diagnostics

_INDEPENDENT = {"multilevel": "not run: assumes independent effect sizes (multilevel model)"}

DIAGNOSTICS: dict[str, Diagnostic] = {
    d.name: d
    for d in (
        Diagnostic(
            "egger",
            "a univariate fit",
            "evsynth.pipeline.diagnose:egger",
            (
                _d(
                    "egger",
                    "Egger's regression test for funnel-plot asymmetry (metafor regtest) and the limit estimate",
                    "stat,df,pval,limit_estimate,limit_ci_lb,limit_ci_ub,k",
                ),
            ),
            not_run=_INDEPENDENT,
            small_study=True,
        ),
        Diagnostic(
            "begg",
            "effect sizes and variances (independent)",
            "evsynth.pipeline.diagnose:begg",
            (_d("begg", "Begg and Mazumdar's rank correlation test (metafor ranktest)", "kendall_tau,pval,k,exact"),),
            not_run=_INDEPENDENT,
            small_study=True,
        ),
        Diagnostic(
            "trimfill",
            "a univariate fit",
            "evsynth.pipeline.diagnose:trimfill",
            (
                _d(
                    "trimfill",
                    "trim and fill (metafor trimfill): studies imputed (k0) and the adjusted estimate",
                    "k0,side,estimate,se,ci_lb,ci_ub,tau2,k",
                ),
                _d("trimfill_filled", "the imputed effect sizes the funnel plot draws", "yi,vi"),
            ),
            not_run=_INDEPENDENT,
            small_study=True,
        ),
        Diagnostic(
            "fsn",
            "effect sizes and variances (independent)",
            "evsynth.pipeline.diagnose:fsn",
            (_d("fsn", "fail-safe N (metafor fsn, Rosenthal)", "fsnum,pval,alpha,type,mean_es,target"),),
            not_run=_INDEPENDENT,
            small_study=True,
        ),
        Diagnostic(
            "leave1out",
            "a univariate fit",
            "evsynth.pipeline.diagnose:leave1out",
            (
                _d(
                    "leave1out",
                    "the model refitted leaving out each study in turn (metafor leave1out)",
                    "omitted,estimate,se,stat,pval,ci_lb,ci_ub,QE,QEp,tau2,I2,H2",
                ),
            ),
            not_run=_INDEPENDENT,
        ),
        Diagnostic(
            "influence",
            "a univariate fit",
            "evsynth.pipeline.diagnose:influence",
            (
                _d(
                    "influence",
                    "case-deletion diagnostics per study (metafor influence)",
                    "study,rstudent,dffits,cooks_distance,cov_ratio,tau2_del,QE_del,hat,weight,influential",
                ),
            ),
            not_run=_INDEPENDENT,
        ),
        Diagnostic(
            "cumulative",
            "a univariate fit and year_column in the analysis",
            "evsynth.pipeline.diagnose:cumulative",
            (
                _d(
                    "cumulative",
                    "cumulative meta-analysis by year (metafor cumul)",
                    "added,k,estimate,se,ci_lb,ci_ub,pval,tau2,I2",
                ),
            ),
            not_run=_INDEPENDENT,
        ),
        Diagnostic(
            "pet_peese",
            "effect sizes and variances (independent)",
            "evsynth.pipeline.diagnose:pet_peese",
            (
                _d(
                    "pet_peese",
                    "PET and PEESE regressions and the conditional PET-PEESE estimate",
                    "pet_estimate,pet_se,pet_pval,peese_estimate,peese_se,peese_pval,use_peese,estimate",
                ),
            ),
            not_run=_INDEPENDENT,
            small_study=True,
        ),
        Diagnostic(
            "confint",
            "a univariate fit",
            "evsynth.pipeline.diagnose:confint",
            (
                _d(
                    "confint",
                    "Q-profile confidence intervals of tau2, tau, I2 and H2 (metafor confint)",
                    "parameter,estimate,ci_lb,ci_ub",
                ),
            ),
            not_run=_INDEPENDENT,
        ),
        Diagnostic(
            "permutation",
            "a univariate fit and moderators",
            "evsynth.pipeline.diagnose:permutation",
            (
                _d(
                    "permutation",
                    "permutation test of each moderator's model (metafor permutest); seed from the config",
                    "moderator,QM,pval_permutation,pval_asymptotic,iterations,seed",
                ),
            ),
            not_run=_INDEPENDENT,
        ),
        Diagnostic(
            "selmodel",
            "a univariate fit of at least 20 studies (selmodel_steps)",
            "evsynth.pipeline.diagnose:selmodel",
            (
                _d(
                    "selmodel",
                    "step-function selection model (metafor selmodel): estimate, tau2, LRT and per p-value "
                    "interval the selection weight delta_p_<lo>_<hi> with se_, ci_lb_, ci_ub_, pval_ columns; k; "
                    "estimate_exp ... for ratio measures",
                    "term,estimate,se,zval,pval,ci_lb,ci_ub,tau2,se_tau2,LRT,LRTp,tau2_ci_lb,tau2_ci_ub",
                ),
            ),
            not_run=_INDEPENDENT,
        ),
        Diagnostic(
            "model_comparison",
            "moderators",
            "evsynth.pipeline.diagnose:model_comparison",
            (
                _d(
                    "model_comparison",
                    "per moderator: ML fits with and without it, AIC/BIC/AICc and the "
                    "likelihood-ratio test (metafor anova(full, reduced))",
                    "moderator,k,logLik_with,logLik_without,AIC_with,AIC_without,BIC_with,BIC_without,AICc_with,"
                    "AICc_without,LRT,df,pval",
                ),
            ),
            models=("univariate", "multilevel"),
        ),
        Diagnostic(
            "predictions",
            "predict_at (numeric moderator -> values)",
            "evsynth.pipeline.diagnose:predictions",
            (
                _d(
                    "predictions",
                    "the average effect predicted at the predict_at values of each numeric moderator "
                    "(metafor predict); pred_exp ... for log-scale measures",
                    "moderator,value,pred,se,ci_lb,ci_ub,pi_lb,pi_ub",
                ),
            ),
            models=("univariate", "multilevel"),
        ),
        Diagnostic(
            "correlated_effects",
            "a multilevel model (rho_values)",
            "evsynth.pipeline.diagnose:correlated_effects",
            (
                _d(
                    "correlated_effects",
                    "the multilevel model refitted with sampling errors correlated rho within the "
                    "cluster (metafor vcalc) and CR2 robust inference; one sigma2_<level> column per level",
                    "rho,k,estimate,se,ci_lb,ci_ub,pval",
                ),
            ),
            models=("multilevel",),
            not_run={"univariate": "not run: needs a multilevel model (model.type multilevel)"},
        ),
        Diagnostic(
            "mh",
            "counts (effect.measure OR, RR, RD, IRR or IRD)",
            "evsynth.pipeline.diagnose:mh",
            (
                _d(
                    "mh",
                    "Mantel-Haenszel pooling of the counts (metafor rma.mh); estimate_exp ... for ratio measures",
                    _COUNTS_COLUMNS,
                ),
            ),
            not_run=_INDEPENDENT,
        ),
        Diagnostic(
            "peto",
            "2x2 counts (effect.measure OR or PETO)",
            "evsynth.pipeline.diagnose:peto",
            (_d("peto", "Peto's odds ratio from the counts (metafor rma.peto); estimate_exp ...", _COUNTS_COLUMNS),),
            not_run=_INDEPENDENT,
        ),
    )
}

# ------------------------------------------------------------------------------ every output

_STUDIES_WHEN = {
    "effect_statements": ("config", "studies.effect_statements"),
    "effect_direction": ("config", "studies.effect_statements"),
    "findings": ("config", "studies.findings"),
}

OUTPUTS: dict[str, Output] = {
    o.name: o
    for o in (
        _o(
            "inputs_checked",
            "checks/inputs.txt",
            "check-inputs",
            "what check-inputs checked, one line per file",
            kind="text",
        ),
        # the review: study tables
        *(
            _o(n, f"studies/{n}.csv", "studies", meaning, cols, when=_STUDIES_WHEN.get(n))
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
        _o(
            "quality_scores",
            "quality/scores.csv",
            "quality",
            "per study: published and computed quality total, and each rater's total (total_<rater>)",
            "study_id,design,published_total,computed_total,status,mismatch,note,score_used",
        ),
        _o(
            "quality_summary",
            "quality/summary.csv",
            "quality",
            "one row: how many studies are scored and how",
            "n_studies,n_total_only,n_item_level,n_not_scored,n_mismatch,min_score,n_at_or_above_min_score",
        ),
        _o(
            "quality_agreement",
            "quality/agreement.csv",
            "quality",
            "agreement and kappa between raters per item",
            "item,rater_1,rater_2,n_pairs,percent_agreement,kappa",
        ),
        _o(
            "published_vs_computed",
            "quality/published_vs_computed.csv",
            "quality",
            "studies scored item by item: the published total beside the computed one",
            "study_id,design,published_total,computed_total,status,mismatch,note,score_used",
        ),
        _o(
            "quality_items",
            "quality/item_summary.csv",
            "quality",
            "judgements per quality item",
            "item,yes,no,unclear,n",
        ),
        _o(
            "assessment_template",
            "quality/assessment_template.csv",
            "quality",
            "a blank item-level assessment form per study and rater",
            "study_id,rater,item,judgement,support_quote,question_en",
        ),
        # the review: extraction
        _o(
            "effects_computed",
            "extraction/effects_computed.csv",
            "extraction",
            "effect sizes computed from the reported statistics of the coded studies",
            "effect_id,study_id,outcome,outcome_domain,timepoint,yi,vi,formula,direction",
        ),
        _o(
            "extraction_coverage",
            "extraction/coverage.csv",
            "extraction",
            "per coded study row: effect sizes extracted",
            "study_id,row,authors,year,n_articles,n_effect_sizes,status",
        ),
        _o(
            "extraction_summary",
            "extraction/summary.csv",
            "extraction",
            "one row: rows, articles, rows extracted, effect sizes",
            "n_rows,n_articles,n_rows_extracted,n_effect_sizes",
        ),
        _o(
            "pooled_by_domain",
            "extraction/pooled_by_domain.csv",
            "extraction",
            "the extracted effect sizes pooled per outcome domain",
            "outcome_domain,k_studies,k_effects,model,estimate,se,ci_lb,ci_ub,pval,tau2,I2,note",
        ),
        _o(
            "moderators_by_domain",
            "extraction/moderators_by_domain.csv",
            "extraction",
            "design and quality as moderators per outcome domain",
            "outcome_domain,analysis,term,k_studies,estimate,se,ci_lb,ci_ub,pval,QM,QMp,note",
        ),
        _o(
            "extraction_template",
            "extraction/extraction_template.csv",
            "extraction",
            "the extraction table's columns with one row per coded study, to fill in",
            "effect_id,study_id",
        ),
        # one analysis: effect sizes
        _o(
            "effects",
            "{analysis}/effects.csv",
            "effects",
            "effect sizes of the analysis (yi, vi) and every column later "
            "stages use (moderators, grouping, counts); sei last",
            "study,yi,vi",
        ),
        _o(
            "exclusions",
            "{analysis}/exclusions.csv",
            "effects",
            "rows dropped because their statistics are empty (drop_incomplete: true)",
            "analysis,dataset,row,study,reason",
        ),
        # one analysis: the fit
        _o("estimates", "{analysis}/estimates.csv", "fit", "the coefficient table of the declared model", _FIT_COLUMNS),
        _o(
            "heterogeneity",
            "{analysis}/heterogeneity.csv",
            "fit",
            "one row: the pooled estimate, its interval and prediction interval, Q, tau2, I2" + _HET_MORE,
            _HET_COLUMNS,
        ),
        _o(
            "moderators",
            "{analysis}/moderators.csv",
            "fit",
            "one meta-regression per declared moderator and per joint model (meta_regression)",
            _FIT_COLUMNS,
        ),
        _o(
            "subgroups",
            "{analysis}/subgroups.csv",
            "fit",
            "the model pooled within each level of each subgroup column "
            "and the test of differences (univariate); multilevel: n_studies and between_test",
            "subgroup_variable,group,k",
        ),
        _o(
            "robust",
            "{analysis}/robust.csv",
            "fit",
            "cluster-robust (CR2) inference by model.cluster",
            "term,estimate,se,tval,df,pval,ci_lb,ci_ub,n_clusters,k",
        ),
        _o(
            "sensitivity",
            "{analysis}/sensitivity.csv",
            "fit",
            "the model refitted without the studies of each "
            "sensitivity.exclude_if rule: estimate, se, ci_lb, ci_ub, pval, tau2 where it could be refitted, note "
            "(why not) otherwise",
            "analysis,k",
        ),
        _o(
            "study_weights",
            "{analysis}/study_weights.csv",
            "fit",
            "each effect size with its model weight in percent (no weight column for multilevel models)",
            "study,yi,vi",
        ),
        _o(
            "randomised_heterogeneity",
            "{analysis}/randomised_heterogeneity.csv",
            "fit",
            "the heterogeneity row of the model refitted on the randomised studies of a mixed-design body, with "
            "egger_ and trimfill_ columns when declared (empty otherwise)",
            _HET_COLUMNS,
        ),
        _o(
            "randomised_weights",
            "{analysis}/randomised_weights.csv",
            "fit",
            "the study weights of that refit",
            "study,yi,vi",
        ),
        _o(
            "fit_notes",
            "{analysis}/fit_notes.csv",
            "fit",
            "models of the fit stage that could not be estimated, and why",
            "note",
        ),
        _o(
            "scale",
            "{analysis}/scale.csv",
            "fit",
            "the analysis scale and how figures show it",
            "measure_label,axis_label,analysis_scale_label,log_axis,back_transform,reference_line,interpretation",
            group="figures",
        ),
        _o(
            "figure_forest",
            "{analysis}/figure_forest.csv",
            "fit",
            "the forest plot's rows: each effect size with its Wald interval and weight",
            "label,study,yi,vi,ci_lb,ci_ub,weight,crit,level",
            group="figures",
        ),
        _o(
            "figure_bubble",
            "{analysis}/figure_bubble.csv",
            "fit",
            "per numeric moderator: the meta-regression line and its confidence band over a grid",
            "moderator,label,x,pred,ci_lb,ci_ub,crit,level",
            group="figures",
        ),
        _o(
            "figure_bubble_points",
            "{analysis}/figure_bubble_points.csv",
            "fit",
            "per numeric moderator: the studies as points with their weights",
            "moderator,study,x,yi,weight",
            group="figures",
        ),
        _o(
            "figure_funnel",
            "{analysis}/figure_funnel.csv",
            "fit",
            "critical values of the contour-enhanced funnel plot",
            "p,label,z",
            group="figures",
        ),
        _o("model", "{analysis}/model.txt", "fit", "the declared model printed as metafor prints it", kind="text"),
        # one analysis: diagnostics
        _o(
            "diagnostics",
            "{analysis}/diagnostics",
            "diagnose",
            "every diagnostic table of the analysis (one folder, written as a whole)",
            kind="folder",
        ),
        *(t for d in DIAGNOSTICS.values() for t in d.tables),
        _d(
            "diagnostic_notes",
            "diagnostics not run or not fitted, and why",
            "diagnostic,note",
            path="{analysis}/diagnostics/notes.csv",
        ),
        # one analysis: the multiverse
        _o(
            "multiverse_key",
            "{analysis}/multiverse/key.txt",
            "workflow",
            "the key of the current multiverse config "
            "(12 hex digits of a hash; the blocks' folder), rewritten by the workflow when it changes",
            kind="text",
            when=("analysis", "multiverse"),
        ),
        _o(
            "multiverse_block",
            "{analysis}/multiverse/{key}/chunk_{chunk}.csv",
            "multiverse",
            "one block of specifications fitted with the batched engine",
            "spec_id",
            when=("analysis", "multiverse"),
        ),
        _o(
            "multiverse",
            "{analysis}/multiverse.csv",
            "multiverse-gather",
            "every specification of the multiverse: its choices (one column per dimension) and results",
            "spec_id,rank",
            when=("analysis", "multiverse"),
        ),
        _o(
            "multiverse_summary",
            "{analysis}/multiverse_summary.csv",
            "multiverse-gather",
            "one row: the spread of the multiverse's estimates",
            "n_specifications,n_fitted,median_estimate,min_estimate,max_estimate,"
            "n_ci_excludes_zero,pct_ci_excludes_zero,n_ci_above_zero,most_influential_dimension,spread_of_medians,"
            "choice_lowest_median,lowest_median,choice_highest_median,highest_median",
            when=("analysis", "multiverse"),
        ),
        _o(
            "multiverse_dimensions",
            "{analysis}/multiverse_dimensions.csv",
            "multiverse-gather",
            "per dimension and choice: specifications fitted, median estimate",
            "dimension,choice,n_fitted,median_estimate,spread",
            when=("analysis", "multiverse"),
        ),
        # all analyses: certainty
        _o(
            "certainty",
            "certainty/certainty.csv",
            "certainty",
            "GRADE certainty of every pooled outcome (one row per analysis and body of evidence)",
            "analysis,body",
        ),
        _o(
            "certainty_reasons",
            "certainty/certainty_reasons.csv",
            "certainty",
            "per outcome and GRADE domain: the rating and the number behind it",
            "analysis,body,domain,downgrade,rating,number,reason",
        ),
        _o(
            "review_comparison",
            "certainty/review_comparison.csv",
            "certainty",
            "each analysis naming review_findings: "
            "its pooled result beside each named conclusion of the findings table, with the agreement in direction",
            "analysis,finding_id,section,finding_direction,claim_en,claim_nl,estimate,ci_lb,ci_ub,certainty,agreement,"
            "sentence",
        ),
        _o(
            "published",
            "certainty/published.csv",
            "certainty",
            "pooled estimates of published reviews (shown, never pooled; empty without published_estimates)",
            "source_row,review,k_studies,k_es,N,outcome,estimate,metric",
        ),
        # figures and the report
        _o(
            "figures_analysis",
            "{analysis}",
            "figures",
            "the forest, funnel, bubble and specification-curve figures of "
            "an analysis (PNG and SVG) and figure_notes.csv",
            kind="folder",
            root="figures",
        ),
        _o(
            "figure_notes",
            "{analysis}/figure_notes.csv",
            "figures",
            "figures not drawn, and why (only when one was not)",
            "figure,drawn,reason",
            root="figures",
            optional=True,
        ),
        _o(
            "figure_notes_edition",
            "{analysis}/figure_notes.{lang}.csv",
            "figures",
            "the same notes in another language of report.languages ({lang}: nl), beside that "
            "language's figures (<name>.{lang}.png and .svg)",
            "figure,drawn,reason",
            root="figures",
            optional=True,
        ),
        _o(
            "figure_files",
            "{analysis}/figure_files.csv",
            "figures",
            "figure files named from column names "
            "(subgroup forests, bubble plots): the file and its column (only when there are such figures)",
            "file,column",
            root="figures",
            optional=True,
        ),
        _o(
            "figures_studies",
            "studies",
            "figures",
            "risk-of-bias, quality, PRISMA and evidence-gap figures",
            kind="folder",
            root="figures",
        ),
        _o("report_html", "report.html", "report", "the report", kind="html"),
        _o(
            "report_pdf",
            "report.pdf",
            "report",
            "the report's PDF edition",
            kind="pdf",
            when=("config", "report.pdf"),
            default=True,
        ),
        _o(
            "report_appendix_html",
            "appendix.html",
            "report",
            "the technical appendix of the report (per-analysis "
            "diagnostics, sensitivity tables, model printouts, study tables; English)",
            kind="html",
        ),
        _o(
            "report_appendix_pdf",
            "appendix.pdf",
            "report",
            "the technical appendix's PDF edition",
            kind="pdf",
            when=("config", "report.pdf"),
            default=True,
        ),
        _o(
            "report_edition_html",
            "{lang}/report.html",
            "report",
            "the main report in another language of report.languages ({lang}: nl)",
            kind="html",
        ),
        _o(
            "report_edition_pdf",
            "{lang}/report.pdf",
            "report",
            "its PDF edition",
            kind="pdf",
            when=("config", "report.pdf"),
            default=True,
        ),
    )
}


def output(name: str) -> Output:
    """The catalogue entry ``name``; an unknown name is a programming error, named."""
    try:
        return OUTPUTS[name]
    except KeyError:
        raise KeyError(f"no output {name!r} in evsynth.catalog; known: {', '.join(OUTPUTS)}") from None


def path(name: str, analysis: str | None = None, **fields) -> str:
    """The file of output ``name`` relative to its root folder (``results_dir`` or
    ``figures_dir``): ``path("egger", analysis="barlow2014")`` is
    ``"barlow2014/diagnostics/egger.csv"``.  A template field left out is an error."""
    o = output(name)
    values = {**fields} if analysis is None else {"analysis": analysis, **fields}
    try:
        return o.path.format(**values)
    except KeyError as exc:
        raise KeyError(f"output {name!r} ({o.path}) needs {exc.args[0]}=") from None


def file_name(name: str) -> str:
    """The last part of the path of ``name`` (what a stage writes into its output folder)."""
    return output(name).path.rsplit("/", 1)[-1]


def _lookup(mapping, dotted: str):
    cur = mapping
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def wanted(o: Output, cfg: dict | None = None, spec: dict | None = None) -> bool:
    """Whether ``o`` is written for this config (and analysis entry ``spec``)."""
    if o.when is None:
        return True
    where, key = o.when
    value = _lookup((cfg if where == "config" else spec) or {}, key)
    return o.default if value is None else bool(value)


def outputs(
    stage: str | None = None,
    *,
    cfg: dict | None = None,
    spec: dict | None = None,
    kind: str | None = None,
    group: str | None = None,
    diagnostics: bool | None = None,
) -> list[Output]:
    """The outputs of ``stage`` (all stages when None), in catalogue order; with ``cfg``
    (and ``spec``) only those this config writes.  ``diagnostics=False`` leaves out the
    tables inside the diagnostics folder."""
    inside = {t.name for d in DIAGNOSTICS.values() for t in d.tables} | {"diagnostic_notes"}
    out = []
    for o in OUTPUTS.values():
        if stage is not None and o.stage != stage or kind is not None and o.kind != kind:
            continue
        if group is not None and o.group != group or diagnostics is False and o.name in inside:
            continue
        if (cfg is not None or spec is not None) and not wanted(o, cfg, spec):
            continue
        out.append(o)
    return out


def diagnostic_names() -> list[str]:
    """The diagnostics a config may declare, in registry order (the schema's enum)."""
    return list(DIAGNOSTICS)


def figure_tables() -> list[str]:
    """The tables the fit stage writes for the figures (evsynth.pipeline.figdata)."""
    return [o.name for o in outputs(group="figures")]


DOC_BEGIN, DOC_END = "<!-- catalog: begin (python -m evsynth.catalog docs/architecture.md) -->", "<!-- catalog: end -->"


def markdown() -> str:
    """The catalogue as two Markdown tables (every output; every diagnostic), for
    ``docs/architecture.md`` (``python -m evsynth.catalog docs/architecture.md`` rewrites the
    block between :data:`DOC_BEGIN` and :data:`DOC_END`; a test checks it is current)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| name | file | stage | columns (always) | meaning |", "|---|---|---|---|---|"]
    for o in OUTPUTS.values():
        where = f"{o.root}/{o.path}" + ("/" if o.kind == "folder" else "")
        of = " of the analysis" if o.when and o.when[0] == "analysis" else ""
        when = (
            ""
            if not o.when
            else f" (unless `{o.when[1]}` is false)"
            if o.default
            else f" (when `{o.when[1]}`{of} is set)"
        )
        cols = ", ".join(o.columns) if o.columns else ""
        lines.append(f"| `{o.name}` | `{where}` | {o.stage} | {cell(cols)} | {cell(o.meaning)}{when} |")
    lines += ["", "| diagnostic | needs | model types | tables | function |", "|---|---|---|---|---|"]
    for d in DIAGNOSTICS.values():
        small = "; from `small_study_min_k` studies" if d.small_study else ""
        lines.append(
            f"| `{d.name}` | {cell(d.needs)}{small} | {', '.join(d.models)} | "
            f"{', '.join(f'`{t.name}`' for t in d.tables)} | `{d.function}` |"
        )
    return "\n".join(lines) + "\n"


def _write_doc(path: str) -> None:
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    head, rest = text.split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    p.write_text(f"{head}{DOC_BEGIN}\n{markdown()}{DOC_END}{tail}", encoding="utf-8")


if __name__ == "__main__":  # python -m evsynth.catalog docs/architecture.md
    import sys

    _write_doc(sys.argv[1])
