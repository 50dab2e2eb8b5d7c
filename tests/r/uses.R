# Expected values for the issue-15 item-10 tables the pipeline writes for the shipped analyses
# (Mantel-Haenszel pooling, model comparison, predictions, correlated-effects and selection-model
# sensitivity), computed with metafor (and clubSandwich for CR2) from the shipped data files,
# not from evsynth's output.  Run from the repository root:
#   Rscript tests/r/uses.R > tests/r/uses_metafor.json
suppressPackageStartupMessages({library(metafor); library(clubSandwich)})
num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) "null" else formatC(x, digits = 15, format = "g")
obj <- function(fields) paste0("{", paste(sprintf('"%s": %s', names(fields), unlist(fields)), collapse = ", "), "}")
arr <- function(xs) paste0("[", paste(xs, collapse = ", "), "]")
out <- list(metafor_version = sprintf('"%s"', packageVersion("metafor")))

# 1. Mantel-Haenszel pooling.  ifps2002: RR of placement from the four trials' counts as used
#    (data/ifps2002/placement_trials.csv, columns *_used); landenberger2005: OR of not reoffending.
mhjson <- function(f) obj(list(k = f$k, estimate = num(f$beta), se = num(f$se), zval = num(f$zval),
  pval = num(f$pval), ci_lb = num(f$ci.lb), ci_ub = num(f$ci.ub), QE = num(f$QE), QEp = num(f$QEp),
  I2 = num(f$I2), CMH = num(f$MH), CMHp = num(f$MHp), TA = num(f$TA), TAp = num(f$TAp)))
p <- read.csv("data/ifps2002/placement_trials.csv")
out$ifps2002_mh <- mhjson(rma.mh(measure = "RR", ai = p$placed_exp_used, bi = p$notplaced_exp_used,
                                 ci = p$placed_ctrl_used, di = p$notplaced_ctrl_used))
out$ifps2002_peto <- mhjson(rma.peto(ai = p$placed_exp_used, bi = p$notplaced_exp_used,
                                     ci = p$placed_ctrl_used, di = p$notplaced_ctrl_used))
l <- read.csv("data/external/landenberger2005.csv")
out$landenberger2005_mh <- mhjson(rma.mh(measure = "OR", ai = l$n.cbt.non, bi = l$n.cbt.rec,
                                         ci = l$n.ctrl.non, di = l$n.ctrl.rec))

# 2. Model comparison for vanderpol2017 (three-level model, Study_ID / Number): per moderator,
#    ML fits with and without it on the rows where it is present, anova(full, reduced).
d <- read.csv("data/external/vanderpol2017.csv")
d$Outcome_measure <- relevel(factor(d$Outcome_measure), ref = "Substance abuse")
mods <- c("Outcome_measure", "Per_Conduct_disorder", "Per_Severe_cannabis_users", "Age_mean", "Follow_up")
cmp <- sapply(mods, function(m) {
  sub <- d[!is.na(d[[m]]), ]
  f1 <- rma.mv(d, v, mods = as.formula(paste("~", m)), random = ~ 1 | Study_ID / Number, data = sub, method = "ML")
  f0 <- rma.mv(d, v, random = ~ 1 | Study_ID / Number, data = sub, method = "ML")
  a <- anova(f1, f0)
  obj(list(moderator = sprintf('"%s"', m), k = f1$k, logLik_with = num(a$fit.stats.f[["ll"]]),
           logLik_without = num(a$fit.stats.r[["ll"]]), AIC_with = num(a$fit.stats.f[["AIC"]]),
           AIC_without = num(a$fit.stats.r[["AIC"]]), BIC_with = num(a$fit.stats.f[["BIC"]]),
           BIC_without = num(a$fit.stats.r[["BIC"]]), AICc_with = num(a$fit.stats.f[["AICc"]]),
           AICc_without = num(a$fit.stats.r[["AICc"]]), LRT = num(a$LRT), df = a$parms.f - a$parms.r,
           pval = num(a$pval)))
})
out$vanderpol2017_model_comparison <- arr(cmp)

# ... and for ahrq2015 (three-level, ref_id / comparison; Hedges' g from the arm statistics by
# escalc, sign flipped as the config declares: every instrument scores problems higher).
ah <- read.csv("data/ahrq2015/comparisons.csv", stringsAsFactors = FALSE)
ah <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = ah)
ah$yi <- -ah$yi
amods <- c("programme_derived", "category_derived", "risk_of_bias", "comparator_type")
out$ahrq2015_model_comparison <- arr(sapply(amods, function(m) {
  sub <- ah[!is.na(ah[[m]]) & ah[[m]] != "", ]
  f1 <- rma.mv(yi, vi, mods = as.formula(paste("~", m)), random = ~ 1 | ref_id / comparison, data = sub, method = "ML")
  f0 <- rma.mv(yi, vi, random = ~ 1 | ref_id / comparison, data = sub, method = "ML")
  a <- anova(f1, f0)
  obj(list(moderator = sprintf('"%s"', m), k = f1$k, AIC_with = num(a$fit.stats.f[["AIC"]]),
           AIC_without = num(a$fit.stats.r[["AIC"]]), LRT = num(a$LRT), df = a$parms.f - a$parms.r,
           pval = num(a$pval)))
}))

# 3. Predictions for vanderpol2017 at stated values of % severe cannabis users (REML, t tests).
at <- c(20, 50, 80, 100)
sub <- d[!is.na(d$Per_Severe_cannabis_users), ]
f <- rma.mv(d, v, mods = ~ Per_Severe_cannabis_users, random = ~ 1 | Study_ID / Number, data = sub,
            method = "REML", test = "t")
pr <- predict(f, newmods = at)
out$vanderpol2017_predictions <- arr(sapply(seq_along(at), function(i) obj(list(
  moderator = '"Per_Severe_cannabis_users"', value = num(at[i]), pred = num(pr$pred[i]), se = num(pr$se[i]),
  ci_lb = num(pr$ci.lb[i]), ci_ub = num(pr$ci.ub[i]), pi_lb = num(pr$pi.lb[i]), pi_ub = num(pr$pi.ub[i])))))

# 4. Correlated-effects sensitivity for vanderpol2017: V from vcalc (sampling errors correlated rho
#    within Study_ID), the three-level model (REML, t) and CR2 inference by Study_ID.
rhos <- c(0, 0.2, 0.4, 0.6, 0.8)
out$vanderpol2017_correlated_effects <- arr(sapply(rhos, function(r) {
  V <- vcalc(v, cluster = Study_ID, obs = Number, rho = r, data = d)
  f <- rma.mv(d, V, random = ~ 1 | Study_ID / Number, data = d, method = "REML", test = "t")
  cr <- coef_test(f, vcov = "CR2", cluster = d$Study_ID, test = "Satterthwaite")
  ci <- conf_int(f, vcov = "CR2", cluster = d$Study_ID)
  obj(list(rho = num(r), k = f$k, estimate = num(f$beta[1]), se = num(f$se), ci_lb = num(f$ci.lb),
           ci_ub = num(f$ci.ub), pval = num(f$pval), sigma2_1 = num(f$sigma2[1]), sigma2_2 = num(f$sigma2[2]),
           robust_se = num(cr$SE[1]), robust_df = num(cr$df_Satt[1]), robust_pval = num(cr$p_Satt[1]),
           robust_ci_lb = num(ci$CI_L[1]), robust_ci_ub = num(ci$CI_U[1])))
}))

# 5. Selection model for landenberger2005 (58 studies): REML random-effects model, then the
#    step-function selection model with one cut point at one-sided p = .025 (the shipped config,
#    metafor's default optimiser settings), and with two (.025, .5).  The Hessian (standard errors
#    of beta, tau2 and the weights) is metafor's: numDeriv::hessian (Richardson extrapolation,
#    r = 6) of the log-likelihood in (beta, tau2, delta); numDeriv is r-cran-numderiv
#    (scripts/system-packages.sh).  The two-cut likelihood is flat enough that optim's default
#    reltol (1e-8) stops about 1e-5 (relative) short of the maximum in beta and tau2, so that
#    model is fitted with reltol = 1e-14 (as the golden-breadth selmodel cases are).
es <- escalc("OR", ai = n.cbt.non, bi = n.cbt.rec, ci = n.ctrl.non, di = n.ctrl.rec, data = l)
f <- rma(yi, vi, data = es, method = "REML")
seljson <- function(s) obj(list(k = s$k, estimate = num(s$beta[1]), se = num(s$se), zval = num(s$zval),
  pval = num(s$pval), ci_lb = num(s$ci.lb), ci_ub = num(s$ci.ub), tau2 = num(s$tau2), se_tau2 = num(s$se.tau2),
  LRT = num(s$LRT), LRTp = num(s$LRTp), delta = arr(sapply(s$delta, num)), se_delta = arr(sapply(s$se.delta, num)),
  delta_ci_lb = arr(sapply(s$ci.lb.delta, num)), delta_ci_ub = arr(sapply(s$ci.ub.delta, num)),
  delta_2 = num(s$delta[2])))
out$landenberger2005_selmodel <- seljson(selmodel(f, type = "stepfun", steps = c(0.025)))
out$landenberger2005_selmodel_2cuts <- seljson(selmodel(f, type = "stepfun", steps = c(0.025, 0.5),
                                                             control = list(reltol = 1e-14, maxit = 10000)))

# 6. Peto's odds ratio for landenberger2005 (the shipped OR analysis asks for diagnostic peto).
out$landenberger2005_peto <- mhjson(rma.peto(ai = l$n.cbt.non, bi = l$n.cbt.rec, ci = l$n.ctrl.non,
                                             di = l$n.ctrl.rec))

cat("{\n", paste(sprintf('"%s": %s', names(out), unlist(out)), collapse = ",\n"), "\n}\n", sep = "")
