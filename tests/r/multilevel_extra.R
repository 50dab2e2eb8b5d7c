# Expected values for tests/engine/test_multilevel_linear.py, computed by metafor (ranef for rma.mv, the
# struct CS/HCS term included; profile-likelihood confint for every variance component, struct CS
# and HCS included).
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

# 3. ranef of the struct term (~ inner | outer, CS / HCS), alone and beside a sigma^2 term,
#    tests "z" and "t".  Level labels as metafor's row names without the padding.
ranef_struct <- function(f) {
  r <- ranef(f)
  lapply(r, function(t) list(levels = trimws(rownames(t)), pred = t$intrcpt, se = t$se, pi_lb = t$pi.lb,
                             pi_ub = t$pi.ub))
}
b9 <- b[!(b$trial == 5 & b$outcome == "AL"), ]  # unequal blocks: trial 5 with PD only
d <- read.csv("../shared/golden/data/konstantopoulos2011.csv")
d$parity <- ifelse(d$school %% 2 == 1, "odd", "even")  # two inner levels per district, several schools each
fits <- list(
  berkey_cs_z = rma.mv(yi, vi, mods = ~ outcome, random = ~ outcome | trial, struct = "CS", data = b),
  berkey9_hcs_t = rma.mv(yi, vi, mods = ~ outcome, random = ~ outcome | trial, struct = "HCS", data = b9,
                         test = "t"),
  konst_cs_sigma_z = rma.mv(yi, vi, random = list(~ 1 | study, ~ parity | district), struct = "CS", data = d),
  konst_hcs_sigma_t = rma.mv(yi, vi, mods = ~ I(year - 1990), random = list(~ 1 | study, ~ parity | district),
                             struct = "HCS", data = d, test = "t", method = "ML"))
out$ranef_struct <- lapply(fits, function(f) list(sigma2 = if (is.null(f$sigma2)) numeric(0) else f$sigma2,
                                                  tau2 = f$tau2, rho = f$rho, beta = c(f$beta),
                                                  ranef = ranef_struct(f)))
writeLines(to_json(out), "tests/r/multilevel_extra.json")
