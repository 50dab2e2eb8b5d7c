# Expected values for tests/test_multilevel_linear.py, computed by metafor (ranef for rma.mv;
# profile-likelihood confint for every variance component, struct CS and HCS included).
# Run from the repository root:  Rscript tests/r/multilevel_extra.R  (writes tests/r/multilevel_extra.json)
suppressMessages(library(metafor))
source("tests/r/to_json.R")  # to_json(): a small JSON writer
out <- list(metafor = as.character(packageVersion("metafor")))
dat <- read.csv("../shared/golden/data/konstantopoulos2011.csv")

# 1. ranef of multilevel fits: per level, the predicted random effect of each group with se and PI
ranef_case <- function(f) {
  r <- ranef(f)
  lapply(r, function(t) list(levels = rownames(t), pred = t$intrcpt, se = t$se, pi_lb = t$pi.lb, pi_ub = t$pi.ub))
}
f1 <- rma.mv(yi, vi, random = ~ 1 | district/school, data = dat, method = "REML")
f2 <- rma.mv(yi, vi, mods = ~ I(year - 1990), random = ~ 1 | district/school, data = dat, method = "ML", test = "t")
f3 <- rma.mv(yi, vi, random = ~ 1 | district, data = dat, method = "REML")
out$ranef <- list(
  reml_z = list(sigma2 = f1$sigma2, ranef = ranef_case(f1)),
  ml_t_year = list(sigma2 = f2$sigma2, ranef = ranef_case(f2)),
  one_level = list(sigma2 = f3$sigma2, ranef = ranef_case(f3)))

# 2. profile-likelihood CIs for struct CS / HCS (tau^2 per level and rho)
b <- read.csv("../shared/golden-breadth/data/berkey1998.csv")
ci_case <- function(f) {
  ci <- confint(f)
  g <- function(t) list(names = rownames(t), est = t[, "estimate"], lb = t[, "ci.lb"], ub = t[, "ci.ub"])
  if (!is.null(ci$random)) return(list(g(ci$random)))
  unname(lapply(ci[seq_len(length(ci) - 1)], function(z) g(z$random)))
}
for (s in c("CS", "HCS")) {
  f <- rma.mv(yi, vi, mods = ~ factor(outcome, levels = c("PD", "AL")), random = ~ outcome | trial,
              struct = s, data = b, method = "REML")
  out$confint_struct[[s]] <- list(tau2 = f$tau2, rho = f$rho, ci = ci_case(f))
}
writeLines(to_json(out), "tests/r/multilevel_extra.json")
