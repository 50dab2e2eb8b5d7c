# Expected values for test="adhoc" (Knapp-Hartung never narrower than the z-based
# interval: s2w = max(1, s2w)), computed with metafor.
# Run from the repository root:  Rscript tests/r/adhoc.R > tests/r/adhoc_metafor.json
suppressPackageStartupMessages(library(metafor))
num <- function(x) if (is.null(x) || is.na(x)) "null" else formatC(x, digits = 15, format = "g")
arr <- function(x) paste0("[", paste(sapply(x, num), collapse = ", "), "]")
case <- function(name, yi, vi, mods = NULL, method = "REML") {
  f <- if (is.null(mods)) rma(yi, vi, method = method, test = "adhoc") else
    rma(yi, vi, mods = mods, method = method, test = "adhoc")
  fk <- if (is.null(mods)) rma(yi, vi, method = method, test = "knha") else
    rma(yi, vi, mods = mods, method = method, test = "knha")
  sprintf('"%s": {"yi": %s, "vi": %s, "mods": %s, "method": "%s", "beta": %s, "se": %s, "pval": %s, "ci_lb": %s, "ci_ub": %s, "QM": %s, "QMp": %s, "s2w_knha": %s, "se_knha": %s}',
          name, arr(yi), arr(vi), if (is.null(mods)) "null" else arr(mods), method,
          arr(f$beta), arr(f$se), arr(f$pval), arr(f$ci.lb), arr(f$ci.ub), num(f$QM), num(f$QMp),
          num(fk$s2w), arr(fk$se))
}
# 1. the issue's example: two extracted effects of about SE 0.17 that nearly agree
c1 <- case("two_close", c(0.30, 0.31), c(0.17^2, 0.172^2))
# 2. the same with DL
c2 <- case("two_close_DL", c(0.30, 0.31), c(0.17^2, 0.172^2), method = "DL")
# 3. Barlow et al. (2014) from ../shared/golden data (s2w > 1: adhoc equals knha)
b <- read.csv("data/external/barlow2014.csv")
c3 <- case("barlow", -b$y, b$s2)
# 4. a meta-regression on five effects with little residual scatter
c4 <- case("metareg_five", c(0.10, 0.21, 0.29, 0.41, 0.50), c(0.04, 0.05, 0.03, 0.06, 0.05), mods = c(1, 2, 3, 4, 5))
cat("{\n", sprintf('"metafor_version": "%s",\n', packageVersion("metafor")),
    paste(c(c1, c2, c3, c4), collapse = ",\n"), "\n}\n", sep = "")
