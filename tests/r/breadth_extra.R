# Expected values for tests/test_breadth.py beyond ../shared/golden-breadth, computed by metafor.
# Run from the repository root:  Rscript tests/r/breadth_extra.R  (writes tests/r/breadth_extra.json)
suppressMessages(library(metafor))
source("tests/r/to_json.R")  # to_json(): a small JSON writer
out <- list(metafor = as.character(packageVersion("metafor")))

# 1. Q-profile upper bound above the search ceiling tau2.max = max(100, 10 tau2): metafor reports the ceiling
d <- data.frame(yi = c(0, 10, 5), vi = c(1, 1, 1))
f <- rma(yi, vi, data = d, method = "REML")
ci <- confint(f)
out$ceiling <- list(yi = d$yi, vi = d$vi, tau2 = f$tau2, tau2_ci_lb = ci$random["tau^2", "ci.lb"],
                    tau2_ci_ub = ci$random["tau^2", "ci.ub"], I2_ci_ub = ci$random["I^2(%)", "ci.ub"],
                    H2_ci_ub = ci$random["H^2", "ci.ub"])

# 2. exact permutation tests (all sign flips / all orderings) for every tau^2 estimator
dat <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
d10 <- dat[1:10, ]
d6 <- dat[c(1, 3, 5, 7, 9, 11), ]
perm <- list()
for (m in c("EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")) {
  f0 <- rma(yi, vi, data = d10, method = m)
  p0 <- permutest(f0, exact = TRUE)
  f1 <- rma(yi, vi, mods = ~ ablat, data = d6, method = m)
  p1 <- permutest(f1, exact = TRUE)
  perm[[m]] <- list(intercept_pval = unname(p0$pval), intercept_zval = unname(f0$zval),
                    mods_QMp = unname(p1$QMp), mods_pval = unname(p1$pval), mods_QM = unname(f1$QM))
}
out$permutest <- list(rows_intercept = 1:10, rows_mods = c(1, 3, 5, 7, 9, 11), results = perm)

# 3. predict with transf for a multilevel fit, blup/ranef under knha
f <- rma.mv(yi, vi, random = ~ 1 | district/school, mods = ~ year, data = dat.konstantopoulos2011, test = "t")
p <- predict(f, newmods = c(1975, 1990), transf = exp)
out$predict_mv_exp <- list(newmods = c(1975, 1990), pred = unname(p$pred), ci_lb = unname(p$ci.lb),
                           ci_ub = unname(p$ci.ub), pi_lb = unname(p$pi.lb), pi_ub = unname(p$pi.ub))
f <- rma(yi, vi, data = dat, test = "knha")
b <- blup(f); r <- ranef(f)
out$blup_knha <- list(pred = unname(b$pred), se = unname(b$se), pi_lb = unname(b$pi.lb), pi_ub = unname(b$pi.ub),
                      ranef_pred = unname(r$pred), ranef_se = unname(r$se))

# 4. fitstats of an EE fit and of a DL fit with a moderator (ML log-likelihood at the estimate)
f <- rma(yi, vi, data = dat, method = "EE")
g <- rma(yi, vi, mods = ~ ablat, data = dat, method = "DL")
out$fitstats <- list(EE = unname(fitstats(f)[, 1]), DL_ablat = unname(fitstats(g)[, 1]))

# 5. Mantel-Haenszel RR and Peto with n1i/n2i, and MH OR without continuity correction of the CMH test
m <- rma.mh(measure = "RR", ai = tpos, n1i = tpos + tneg, ci = cpos, n2i = cpos + cneg, data = dat.bcg)
o <- rma.mh(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg, correct = FALSE)
out$mh <- list(RR_beta = unname(m$beta[1]), RR_se = m$se, OR_MH_uncorrected = o$MH, OR_MHp_uncorrected = o$MHp)

writeLines(to_json(out), "tests/r/breadth_extra.json")
