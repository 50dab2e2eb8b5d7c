# Expected values for tests/engine/test_results.py (the results protocol), computed with metafor
# and clubSandwich.  Run from the repository root:
#   Rscript tests/r/protocol_expected.R > tests/r/protocol_expected.json
# Data: ../shared/golden/data/konstantopoulos2011.csv (metadat dat.konstantopoulos2011) and
# ../shared/golden/data/tannersmith2016.csv (metadat dat.tannersmith2016; rows with aget1 and propmale).
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
# HTZ Wald test of the moderators after robust() (metafor reports clubSandwich's Wald_test HTZ)
ts <- read.csv("../shared/golden/data/tannersmith2016.csv")
ts <- ts[complete.cases(ts[, c("aget1", "propmale")]), ]
tm <- rma.mv(yi, vi, mods = ~ aget1 + propmale, random = ~ 1 | studyid/esid, data = ts, method = "REML")
tmr <- robust(tm, cluster = ts$studyid, clubSandwich = TRUE)
tu <- rma(yi, vi, mods = ~ aget1 + propmale, data = ts, method = "REML")
tur <- robust(tu, cluster = ts$studyid, clubSandwich = TRUE)
cat("{\n")
cat(sprintf('  "newmods": %s,\n', num(new)))
for (nm in c("uni_robust_pred", "mv_robust_pred")) {
  p <- out[[nm]]
  cat(sprintf('  "%s": {"pred": %s, "se": %s, "ci_lb": %s, "ci_ub": %s, "pi_lb": %s, "pi_ub": %s, "df": %s},\n',
              nm, num(p$pred), num(p$se), num(p$ci.lb), num(p$ci.ub), num(p$pi.lb), num(p$pi.ub), num(p$ddf)))
}
cat(sprintf('  "L": [%s, %s],\n', num(L[1, ]), num(L[2, ])))
cat(sprintf('  "mv_anova_L": {"QM": %.15g, "QMp": %.15g, "df1": %d},\n', am$QM, am$QMp, am$QMdf[1]))
cat(sprintf('  "uni_knha_anova_L": {"QM": %.15g, "QMp": %.15g, "df1": %d, "df2": %d},\n', ak$QM, ak$QMp,
            ak$QMdf[1], ak$QMdf[2]))
cat(sprintf('  "htz_k": %d,\n', nrow(ts)))
cat(sprintf('  "mv_robust_htz": {"QM": %.15g, "QMp": %.15g, "df1": %d, "df2": %.15g},\n', tmr$QM, tmr$QMp,
            tmr$QMdf[1], tmr$QMdf[2]))
cat(sprintf('  "uni_robust_htz": {"QM": %.15g, "QMp": %.15g, "df1": %d, "df2": %.15g}\n', tur$QM, tur$QMp,
            tur$QMdf[1], tur$QMdf[2]))
cat("}\n")
