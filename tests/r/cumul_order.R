# Expected values for evsynth validate's order_by (issue 22 item 8): a cumulative meta-analysis
# ordered by a column of numeric ids 10, 11, 101, 2, 9 -- metafor sorts the numbers (2, 9, 10, 11,
# 101); sorted as text (10, 101, 11, 2, 9) the results differ, which is what this fixture shows.
# Run from the repository root:  Rscript tests/r/cumul_order.R > tests/r/cumul_order_metafor.json
suppressPackageStartupMessages(library(metafor))
num <- function(x) if (is.null(x) || is.na(x)) "null" else formatC(x, digits = 15, format = "g")
arr <- function(x) paste0("[", paste(sapply(x, num), collapse = ", "), "]")
id <- c(10, 11, 101, 2, 9)
yi <- c(0.50, 0.10, -0.20, 0.80, 0.30)
vi <- c(0.04, 0.02, 0.05, 0.03, 0.06)
res <- rma(yi, vi, method = "DL")
n <- cumul(res, order = id)              # numeric order
t <- cumul(res, order = as.character(id)) # text order, for contrast
cat("{\n", sprintf('"metafor_version": "%s",\n', packageVersion("metafor")),
    sprintf('"id": %s, "yi": %s, "vi": %s,\n', arr(id), arr(yi), arr(vi)),
    sprintf('"numeric": {"estimate": %s, "se": %s, "tau2": %s},\n', arr(n$estimate), arr(n$se), arr(n$tau2)),
    sprintf('"text": {"estimate": %s, "se": %s, "tau2": %s}\n', arr(t$estimate), arr(t$se), arr(t$tau2)),
    "}\n", sep = "")
