# Expected values for tests/engine/test_qprofile_exact.py: metafor's Q-profile CI for tau^2 with its
# default search (uniroot, tol = .Machine$double.eps^0.25) and to full precision (tol = 1e-12),
# for intercept-only models and meta-regressions, several estimators and levels.
# Run from the repository root:  Rscript tests/r/qprofile_exact.R  (writes tests/r/qprofile_exact.json)
suppressMessages(library(metafor))
source("tests/r/to_json.R")
one <- function(id, yi, vi, mods = NULL, method = "REML", level = 95) {
  f <- if (is.null(mods)) rma(yi, vi, method = method, level = level) else
    rma(yi, vi, mods = mods, method = method, level = level)
  d <- confint(f)$random
  e <- confint(f, control = list(tol = 1e-12))$random
  list(id = id, yi = yi, vi = vi, mods = if (is.null(mods)) list() else as.numeric(mods), method = method,
       level = level, tau2 = f$tau2,
       default = list(tau2_ci_lb = d["tau^2", "ci.lb"], tau2_ci_ub = d["tau^2", "ci.ub"],
                      I2_ci_lb = d["I^2(%)", "ci.lb"], I2_ci_ub = d["I^2(%)", "ci.ub"]),
       exact = list(tau2_ci_lb = e["tau^2", "ci.lb"], tau2_ci_ub = e["tau^2", "ci.ub"],
                    I2_ci_lb = e["I^2(%)", "ci.lb"], I2_ci_ub = e["I^2(%)", "ci.ub"]))
}
bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
rd <- escalc("RD", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
nor <- escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
cases <- list(
  one("bcg.rr.REML.ablat", bcg$yi, bcg$vi, mods = bcg$ablat),
  one("bcg.rr.DL.year.90", bcg$yi, bcg$vi, mods = bcg$year, method = "DL", level = 90),
  one("bcg.rd.REML", rd$yi, rd$vi),
  one("bcg.rd.PM.80", rd$yi, rd$vi, method = "PM", level = 80),
  one("normand1999.md.ML", nor$yi, nor$vi, method = "ML"),
  one("normand1999.md.HE.99", nor$yi, nor$vi, method = "HE", level = 99)
)
out <- list(metafor = as.character(packageVersion("metafor")), cases = cases)
writeLines(to_json(out), "tests/r/qprofile_exact.json")
