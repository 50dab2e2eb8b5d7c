"""The outputs of one analysis (``{analysis}/`` in the results folder): its effect sizes, the
fit (estimates, heterogeneity, moderators, subgroups, robust inference, sensitivity, the
tables the figures draw, the model printout) and the diagnostics folder (the tables of the
registry :data:`~evsynth.catalog.diagnostics.DIAGNOSTICS` and their notes)."""

from __future__ import annotations

from evsynth.catalog.diagnostics import DIAGNOSTICS
from evsynth.catalog.entries import Output, diag_table, entry

__all__ = ["ANALYSIS"]

_FIT_COLUMNS = "model,term,estimate,se,stat,pval,ci_lb,ci_ub,k,QM,QM_df1,QM_df2,QMp,QE,QEp,tau2,R2"
_HET_COLUMNS = "k,estimate,se,ci_lb,ci_ub,stat,pval,df,pi_lb,pi_ub,QE,QE_df,QEp,method,test,tau2"
_HET_MORE = (
    "; then se_tau2, I2, H2 (univariate) or I2, H2 and per level sigma2_<j>, sigma2_<j>_name, "
    "I2_level<j>, nlevels_<j> (multilevel); n_studies, fewer_than_5_studies; for ratio measures "
    "estimate_exp ... pi_ub_exp"
)

ANALYSIS: tuple[Output, ...] = (
    # one analysis: effect sizes
    entry(
        "effects",
        "{analysis}/effects.csv",
        "effects",
        "effect sizes of the analysis (yi, vi) and every column later "
        "stages use (moderators, grouping, counts); sei last",
        "study,yi,vi",
    ),
    entry(
        "exclusions",
        "{analysis}/exclusions.csv",
        "effects",
        "rows dropped because their statistics are empty (drop_incomplete: true)",
        "analysis,dataset,row,study,reason",
    ),
    # one analysis: the fit
    entry("estimates", "{analysis}/estimates.csv", "fit", "the coefficient table of the declared model", _FIT_COLUMNS),
    entry(
        "heterogeneity",
        "{analysis}/heterogeneity.csv",
        "fit",
        "one row: the pooled estimate, its interval and prediction interval, Q, tau2, I2" + _HET_MORE,
        _HET_COLUMNS,
    ),
    entry(
        "moderators",
        "{analysis}/moderators.csv",
        "fit",
        "one meta-regression per declared moderator and per joint model (meta_regression)",
        _FIT_COLUMNS,
    ),
    entry(
        "subgroups",
        "{analysis}/subgroups.csv",
        "fit",
        "the model pooled within each level of each subgroup column "
        "and the test of differences (univariate); multilevel: n_studies and between_test",
        "subgroup_variable,group,k",
    ),
    entry(
        "robust",
        "{analysis}/robust.csv",
        "fit",
        "cluster-robust (CR2) inference by model.cluster",
        "term,estimate,se,tval,df,pval,ci_lb,ci_ub,n_clusters,k",
    ),
    entry(
        "sensitivity",
        "{analysis}/sensitivity.csv",
        "fit",
        "the model refitted without the studies of each "
        "sensitivity.exclude_if rule: estimate, se, ci_lb, ci_ub, pval, tau2 where it could be refitted, note "
        "(why not) otherwise",
        "analysis,k",
    ),
    entry(
        "study_weights",
        "{analysis}/study_weights.csv",
        "fit",
        "each effect size with its model weight in percent (no weight column for multilevel models)",
        "study,yi,vi",
    ),
    entry(
        "randomised_heterogeneity",
        "{analysis}/randomised_heterogeneity.csv",
        "fit",
        "the heterogeneity row of the model refitted on the randomised studies of a mixed-design body, with "
        "egger_ and trimfill_ columns when declared (empty otherwise)",
        _HET_COLUMNS,
    ),
    entry(
        "randomised_weights",
        "{analysis}/randomised_weights.csv",
        "fit",
        "the study weights of that refit",
        "study,yi,vi",
    ),
    entry(
        "fit_notes",
        "{analysis}/fit_notes.csv",
        "fit",
        "models of the fit stage that could not be estimated, and why",
        "note",
    ),
    entry(
        "scale",
        "{analysis}/scale.csv",
        "fit",
        "the analysis scale and how figures show it",
        "measure_label,axis_label,analysis_scale_label,log_axis,back_transform,reference_line,interpretation",
        group="figures",
    ),
    entry(
        "figure_forest",
        "{analysis}/figure_forest.csv",
        "fit",
        "the forest plot's rows: each effect size with its Wald interval and weight",
        "label,study,yi,vi,ci_lb,ci_ub,weight,crit,level",
        group="figures",
    ),
    entry(
        "figure_bubble",
        "{analysis}/figure_bubble.csv",
        "fit",
        "per numeric moderator: the meta-regression line and its confidence band over a grid",
        "moderator,label,x,pred,ci_lb,ci_ub,crit,level",
        group="figures",
    ),
    entry(
        "figure_bubble_points",
        "{analysis}/figure_bubble_points.csv",
        "fit",
        "per numeric moderator: the studies as points with their weights",
        "moderator,study,x,yi,weight",
        group="figures",
    ),
    entry(
        "figure_funnel",
        "{analysis}/figure_funnel.csv",
        "fit",
        "critical values of the contour-enhanced funnel plot",
        "p,label,z",
        group="figures",
    ),
    entry("model", "{analysis}/model.txt", "fit", "the declared model printed as metafor prints it", kind="text"),
    # one analysis: diagnostics
    entry(
        "diagnostics",
        "{analysis}/diagnostics",
        "diagnose",
        "every diagnostic table of the analysis (one folder, written as a whole)",
        kind="folder",
    ),
    *(t for d in DIAGNOSTICS.values() for t in d.tables),
    diag_table(
        "diagnostic_notes",
        "diagnostics not run or not fitted, and why",
        "diagnostic,note",
        path="{analysis}/diagnostics/notes.csv",
    ),
)
