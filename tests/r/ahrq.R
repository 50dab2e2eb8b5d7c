# Expected values for the AHRQ 2015 family/parenting programme analysis, computed with metafor
# from the arm-level statistics of data/ahrq2015/comparisons.csv (the ingest's table of means,
# SDs and Ns; effect sizes are computed here by metafor's escalc, not read from evsynth).
# Run from the repository root:  Rscript tests/r/ahrq.R > tests/r/ahrq_metafor.json
suppressPackageStartupMessages({library(metafor); library(clubSandwich)})
d <- read.csv("data/ahrq2015/comparisons.csv", stringsAsFactors = FALSE)
es <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = d)
es$yi <- -es$yi   # every included instrument: lower = better (instrument_direction.csv)
f <- rma.mv(yi, vi, random = ~ 1 | ref_id / comparison, data = es, method = "REML", test = "t")
cr <- coef_test(f, vcov = "CR2", cluster = es$ref_id, test = "Satterthwaite")
es$comparator_type <- relevel(factor(es$comparator_type), ref = "waitlist")
fm <- rma.mv(yi, vi, mods = ~ comparator_type, random = ~ 1 | ref_id / comparison, data = es, method = "REML", test = "t")
iy <- rma.mv(yi, vi, random = ~ 1 | ref_id / comparison, data = es, subset = programme_derived == "Incredible Years",
             method = "REML", test = "t")
# the randomised body alone (GRADE guidance 24: rated separately): design == "RCT"
rc <- rma.mv(yi, vi, random = ~ 1 | ref_id / comparison, data = es, subset = design == "RCT",
             method = "REML", test = "t")
rcp <- predict(rc)
num <- function(x) formatC(x, digits = 15, format = "g")
cat(sprintf('{"metafor_version": "%s", "k": %d, "yi_first": [%s], "estimate": %s, "se": %s, "ci_lb": %s, "ci_ub": %s, "sigma2": [%s], "robust_se": %s, "robust_df": %s, "comparator_usual_care": %s, "comparator_usual_care_se": %s, "incredible_years": {"k": %d, "estimate": %s, "se": %s, "ci_lb": %s, "ci_ub": %s}, "randomised": {"k": %d, "n_studies": %d, "estimate": %s, "se": %s, "ci_lb": %s, "ci_ub": %s, "pi_lb": %s, "pi_ub": %s, "sigma2": [%s]}}\n',
            packageVersion("metafor"), f$k, paste(num(es$yi[1:5]), collapse = ", "), num(f$beta[1]), num(f$se),
            num(f$ci.lb), num(f$ci.ub), paste(num(f$sigma2), collapse = ", "), num(cr$SE[1]), num(cr$df_Satt[1]),
            num(fm$beta[2]), num(fm$se[2]), iy$k, num(iy$beta[1]), num(iy$se), num(iy$ci.lb), num(iy$ci.ub),
            rc$k, rc$s.nlevels[1], num(rc$beta[1]), num(rc$se), num(rc$ci.lb), num(rc$ci.ub), num(rcp$pi.lb),
            num(rcp$pi.ub), paste(num(rc$sigma2), collapse = ", ")))
