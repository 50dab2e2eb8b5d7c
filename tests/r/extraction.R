# Expected values for the conversions of the extraction table (src/evsynth/review/extraction.py,
# convert_row), computed by metafor's escalc on the same numbers (metafor 3.8.1 has no `pi`
# argument and no conv.wald: p becomes t with qt(), an OR's CI its variance by the Wald formula,
# and the SD behind a mean difference's CI is recovered with qt() -- each line says so).
# Run from the repository root:  Rscript tests/r/extraction.R > tests/r/extraction_metafor.json
suppressPackageStartupMessages(library(metafor))
source("tests/r/to_json.R")
one <- function(e) list(yi = as.numeric(e$yi), vi = as.numeric(e$vi))
out <- list(metafor_version = as.character(packageVersion("metafor")))
# means, SDs and group sizes
out$means <- one(escalc("SMD", m1i = 12.0, sd1i = 4.0, n1i = 80, m2i = 10.9, sd2i = 4.2, n2i = 83))
# independent-samples t
out$t <- one(escalc("SMD", ti = 2.2, n1i = 90, n2i = 91))
# F with 1 df and the sign of the difference: t = sign * sqrt(F)
out$f <- one(escalc("SMD", ti = -sqrt(4.84), n1i = 40, n2i = 42))
# exact two-sided p with n1 + n2 - 2 df and the sign: t = qt(1 - p/2, df)
out$p <- one(escalc("SMD", ti = qt(1 - 0.03 / 2, 50 + 48 - 2), n1i = 50, n2i = 48))
# events / totals: log odds ratio converted to d (Hasselblad & Hedges), metafor's OR2DL
out$events <- one(escalc("OR2DL", ai = 30, n1i = 60, ci = 22, n2i = 58))
out$events_zero <- one(escalc("OR2DL", ai = 0, n1i = 40, ci = 5, n2i = 41))
# odds ratio with a 95% CI: log OR, variance from the CI (Wald), then d = log OR * sqrt(3) / pi
lor <- log(1.8); vlor <- ((log(2.9) - log(1.1)) / (2 * qnorm(0.975)))^2
out$or_ci <- list(yi = lor * sqrt(3) / pi, vi = vlor * 3 / pi^2)
# mean difference with a 95% CI: SE = (ub - lb) / (2 qt(.975, n1 + n2 - 2)), SD = SE / sqrt(1/n1 + 1/n2)
se <- (4.6 - 0.4) / (2 * qt(0.975, 60 + 58 - 2)); sd <- se / sqrt(1 / 60 + 1 / 58)
out$md_ci <- one(escalc("SMD", m1i = 2.5, sd1i = sd, n1i = 60, m2i = 0, sd2i = sd, n2i = 58))
# single-group pre-post: standardised mean change with raw-score standardisation (SMCR)
out$prepost <- one(escalc("SMCR", m1i = 14.1, m2i = 11.3, sd1i = 5.2, ni = 35, ri = 0.6))
cat(to_json(out), "\n")
