# Expected values for tests/engine/test_influence_mv.py: metafor's cooks.distance, dfbetas and hatvalues
# for rma.mv fits with the variance components held at the full-data values (reestimate = FALSE),
# per effect size and per cluster (cluster = ...), and re-estimated (the default) per cluster.
# Run from the repository root:  Rscript tests/r/influence_mv.R  (writes tests/r/influence_mv.json)
suppressMessages(library(metafor))
source("tests/r/to_json.R")  # to_json(): a small JSON writer
out <- list(metafor = as.character(packageVersion("metafor")))
k11 <- read.csv("../shared/golden/data/konstantopoulos2011.csv")
b98 <- read.csv("../shared/golden-breadth/data/berkey1998.csv")
b98$outcome <- factor(b98$outcome, levels = c("PD", "AL"))

one <- function(f, cluster = NULL, reestimate = FALSE) {
  if (is.null(cluster)) {
    cd <- cooks.distance(f, reestimate = reestimate)
    db <- dfbetas(f, reestimate = reestimate)
  } else {
    cd <- cooks.distance(f, cluster = cluster, reestimate = reestimate)
    db <- dfbetas(f, cluster = cluster, reestimate = reestimate)
  }
  list(sigma2 = f$sigma2, tau2 = f$tau2, rho = f$rho, cooks_distance = unname(cd),
       dfbetas = unname(lapply(seq_len(nrow(db)), function(i) unname(as.numeric(db[i, ])))),
       hat = unname(hatvalues(f)), ids = names(cd))
}

f_reml <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k11, method = "REML")
f_ml_t <- rma.mv(yi, vi, mods = ~ I(year - 1990), random = ~ 1 | district/school, data = k11, method = "ML",
                 test = "t")
f_one <- rma.mv(yi, vi, random = ~ 1 | district, data = k11, method = "REML")
f_cs <- rma.mv(yi, vi, mods = ~ outcome, random = ~ outcome | trial, struct = "CS", data = b98, method = "REML")
V <- vcalc(vi, cluster = trial, obs = outcome, rho = 0.5, data = b98)
f_v <- rma.mv(yi, V, mods = ~ outcome, random = ~ 1 | trial/outcome, data = b98, method = "REML")
out$fixed <- list(k11_reml = one(f_reml), k11_ml_t_year = one(f_ml_t), k11_one_level = one(f_one),
                  b98_cs = one(f_cs), b98_vcalc = one(f_v))
# k11_reml_desc: cluster labels that appear in descending order (metafor sorts the clusters by label)
out$cluster_fixed <- list(k11_reml = one(f_reml, k11$district), k11_ml_t_year = one(f_ml_t, k11$district),
                          b98_vcalc = one(f_v, b98$trial), k11_reml_desc = one(f_reml, 1000 - k11$district))
out$cluster_reestimated <- list(k11_reml = one(f_reml, k11$district, TRUE),
                                k11_ml_t_year = one(f_ml_t, k11$district, TRUE))
writeLines(to_json(out), "tests/r/influence_mv.json")
