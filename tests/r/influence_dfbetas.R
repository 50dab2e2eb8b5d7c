# Expected values for tests/pipeline/test_multiverse.py::test_influence_flags_dfbetas_as_metafor: one
# specification of the ahrq2015 multiverse (low or moderate risk of bias, waitlist comparators,
# effects aggregated per ref_id with rho = 0.8) where metafor's influence() flags one study by
# |DFBETAS| > 1 alone.  Run from the repository root:
#   Rscript tests/r/influence_dfbetas.R > tests/r/influence_dfbetas.json
suppressMessages(library(metafor))
ah <- read.csv("data/ahrq2015/comparisons.csv", stringsAsFactors = FALSE)
g <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = ah)
ah$yi <- -as.numeric(g$yi); ah$vi <- as.numeric(g$vi)
d <- ah[ah$risk_of_bias %in% c("Low", "Moderate") & ah$comparator_type %in% "waitlist", ]
agg <- aggregate(escalc(measure = "GEN", yi = yi, vi = vi, data = d), cluster = ref_id, rho = 0.8)
inf <- influence(rma(agg$yi, agg$vi, method = "REML"))
num <- function(x) paste(formatC(x, digits = 17, format = "g"), collapse = ", ")
lgl <- function(x) paste(ifelse(x, "true", "false"), collapse = ", ")
cat(sprintf('{"metafor_version": "%s", "yi": [%s], "vi": [%s], "dffits": [%s], "cook_d": [%s], "hat": [%s], "dfbs": [%s], "is_infl": [%s]}\n',
            packageVersion("metafor"), num(agg$yi), num(agg$vi), num(inf$inf$dffits), num(inf$inf$cook.d),
            num(inf$inf$hat), num(inf$dfbs$intrcpt), lgl(inf$is.infl)))
