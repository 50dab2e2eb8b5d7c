# Expected values for tests/test_results.py (the results protocol), computed with metafor
# and clubSandwich.  Run from the repository root:
#   Rscript tests/r/protocol_expected.R > tests/r/protocol_expected.json
# Data: ../shared/golden/data/konstantopoulos2011.csv (metadat dat.konstantopoulos2011).
suppressPackageStartupMessages({library(metafor); library(clubSandwich)})
d <- read.csv("../shared/golden/data/konstantopoulos2011.csv")
new <- c(1970, 1980, 1990)
L <- rbind(c(1, 1980), c(0, 1))
num <- function(x) paste0("[", paste(sprintf("%.15g", as.numeric(x)), collapse = ", "), "]")
out <- list()
# univariate REML with year as moderator, CR2 cluster-robust by district
u <- rma(yi, vi, mods = ~ year, data = d, method = "REML")
ur <- robust(u, cluster = d$district, clubSandwich = TRUE)
pu <- predict(ur, newmods = new)
out$uni_robust_pred <- pu
# multilevel REML (district/school) with year, CR2 by district
m <- rma.mv(yi, vi, mods = ~ year, random = ~ 1 | district/school, data = d, method = "REML")
mr <- robust(m, cluster = d$district, clubSandwich = TRUE)
pm <- predict(mr, newmods = new)
out$mv_robust_pred <- pm
# Wald tests of a contrast matrix: z (rma.mv, test = "z") and F (rma, test = "knha")
am <- anova(m, X = L)
uk <- rma(yi, vi, mods = ~ year, data = d, method = "REML", test = "knha")
ak <- anova(uk, X = L)
cat("{\n")
cat(sprintf('  "newmods": %s,\n', num(new)))
for (nm in c("uni_robust_pred", "mv_robust_pred")) {
  p <- out[[nm]]
  cat(sprintf('  "%s": {"pred": %s, "se": %s, "ci_lb": %s, "ci_ub": %s, "pi_lb": %s, "pi_ub": %s, "df": %s},\n',
              nm, num(p$pred), num(p$se), num(p$ci.lb), num(p$ci.ub), num(p$pi.lb), num(p$pi.ub), num(p$ddf)))
}
cat(sprintf('  "L": [%s, %s],\n', num(L[1, ]), num(L[2, ])))
cat(sprintf('  "mv_anova_L": {"QM": %.15g, "QMp": %.15g, "df1": %d},\n', am$QM, am$QMp, am$QMdf[1]))
cat(sprintf('  "uni_knha_anova_L": {"QM": %.15g, "QMp": %.15g, "df1": %d, "df2": %d}\n', ak$QM, ak$QMp,
            ak$QMdf[1], ak$QMdf[2]))
cat("}\n")
