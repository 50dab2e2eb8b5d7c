# Expected values for the family-preservation placement analysis, computed with metafor.
# Counts typed here from the source rows (data/external/ifps2002_placement.csv, rows 2, 6, 7, 8;
# Yuan and Feldman counts derived as round(pct x n / 100)), not read from evsynth's output.
# Run from the repository root:  Rscript tests/r/ifps.R > tests/r/ifps_metafor.json
suppressPackageStartupMessages(library(metafor))
n1 <- c(152, 117, 172, 275); n2 <- c(152, 97, 171, 167)
x1 <- round(c(25, 43) * n1[1:2] / 100); x2 <- round(c(20, 57) * n2[1:2] / 100)
x1 <- c(x1, 61, 109); x2 <- c(x2, 55, 48)
es <- escalc("RR", ai = x1, n1i = n1, ci = x2, n2i = n2)
f <- rma(yi, vi, data = es, method = "REML", test = "adhoc")
pr <- predict(f)
num <- function(x) formatC(x, digits = 15, format = "g")
cat(sprintf('{"metafor_version": "%s", "events_exp": [%s], "events_ctrl": [%s], "yi": [%s], "estimate": %s, "se": %s, "ci_lb": %s, "ci_ub": %s, "tau2": %s, "I2": %s, "pi_lb": %s, "pi_ub": %s}\n',
            packageVersion("metafor"), paste(x1, collapse = ", "), paste(x2, collapse = ", "),
            paste(num(es$yi), collapse = ", "), num(f$beta[1]), num(f$se), num(f$ci.lb), num(f$ci.ub),
            num(f$tau2), num(f$I2), num(pr$pi.lb), num(pr$pi.ub)))
