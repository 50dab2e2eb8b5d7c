"""The registry of diagnostics: every diagnostic of the config's ``diagnostics:`` list once,
with what it needs, the function that makes its tables (a dotted name the pipeline resolves:
the catalogue imports no layer), the tables it writes and the model types it runs on.

Adding a diagnostic: an engine verb, one entry here, one section function (see
``docs/architecture.md``, "Adding a diagnostic")."""

from __future__ import annotations

from evsynth.catalog.entries import Diagnostic, diag_table

__all__ = ["DIAGNOSTICS"]

_COUNTS_COLUMNS = "method,measure,estimate,se,zval,pval,ci_lb,ci_ub,QE,QEp,I2,H2,k,k_yi,MH,MHp,TA,TAp,flipped"

_INDEPENDENT = {"multilevel": "not run: assumes independent effect sizes (multilevel model)"}

DIAGNOSTICS: dict[str, Diagnostic] = {
    d.name: d
    for d in (
        Diagnostic(
            "egger",
            "a univariate fit",
            "evsynth.pipeline.diagnose:egger",
            (
                diag_table(
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
            (
                diag_table(
                    "begg", "Begg and Mazumdar's rank correlation test (metafor ranktest)", "kendall_tau,pval,k,exact"
                ),
            ),
            not_run=_INDEPENDENT,
            small_study=True,
        ),
        Diagnostic(
            "trimfill",
            "a univariate fit",
            "evsynth.pipeline.diagnose:trimfill",
            (
                diag_table(
                    "trimfill",
                    "trim and fill (metafor trimfill): studies imputed (k0) and the adjusted estimate",
                    "k0,side,estimate,se,ci_lb,ci_ub,tau2,k",
                ),
                diag_table("trimfill_filled", "the imputed effect sizes the funnel plot draws", "yi,vi"),
            ),
            not_run=_INDEPENDENT,
            small_study=True,
        ),
        Diagnostic(
            "fsn",
            "effect sizes and variances (independent)",
            "evsynth.pipeline.diagnose:fsn",
            (diag_table("fsn", "fail-safe N (metafor fsn, Rosenthal)", "fsnum,pval,alpha,type,mean_es,target"),),
            not_run=_INDEPENDENT,
            small_study=True,
        ),
        Diagnostic(
            "leave1out",
            "a univariate fit",
            "evsynth.pipeline.diagnose:leave1out",
            (
                diag_table(
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
                diag_table(
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
                diag_table(
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
                diag_table(
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
                diag_table(
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
                diag_table(
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
                diag_table(
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
                diag_table(
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
                diag_table(
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
                diag_table(
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
                diag_table(
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
            (
                diag_table(
                    "peto", "Peto's odds ratio from the counts (metafor rma.peto); estimate_exp ...", _COUNTS_COLUMNS
                ),
            ),
            not_run=_INDEPENDENT,
        ),
    )
}
