# Expected values of the figure tables (evsynth.pipeline.figdata), from metafor.
# Run from the repository root:  Rscript tests/r/figure_tables.R
# Writes tests/r/figure_tables_expected.csv (one row per quantity; read by tests/pipeline/test_figdata.py).
suppressPackageStartupMessages(library(metafor))
d <- read.csv("data/external/landenberger2005.csv")
# config.yaml, analysis landenberger2005: OR with ai = n.cbt.non, bi = n.cbt.rec, ci = n.ctrl.non, di = n.ctrl.rec
es <- escalc("OR", ai = n.cbt.non, bi = n.cbt.rec, ci = n.ctrl.non, di = n.ctrl.rec, data = d)
out <- list()
# forest plot rows: yi -/+ qnorm(0.975) sqrt(vi), as metafor's forest() draws them
z <- qnorm(0.975)
out[[1]] <- data.frame(what = "forest", moderator = "", i = seq_len(nrow(es)), x = NA,
                       value_1 = es$yi - z * sqrt(es$vi), value_2 = es$yi + z * sqrt(es$vi), value_3 = NA)
# bubble plot lines: the REML + Knapp-Hartung meta-regression on each numeric moderator,
# predicted over 100 points from the smallest to the largest value, with its CI
for (m in c("sessions", "hrs_week", "hrs_total", "length")) {
  sub <- es[!is.na(es[[m]]), ]
  fit <- rma(yi, vi, mods = sub[[m]], data = sub, method = "REML", test = "knha")
  grid <- seq(min(sub[[m]]), max(sub[[m]]), length.out = 100)
  p <- predict(fit, newmods = grid)
  out[[length(out) + 1]] <- data.frame(what = "bubble", moderator = m, i = seq_along(grid), x = grid,
                                       value_1 = p$pred, value_2 = p$ci.lb, value_3 = p$ci.ub)
}
# funnel contours: two-sided critical values of the standard normal
ps <- c(0.10, 0.05, 0.01)
out[[length(out) + 1]] <- data.frame(what = "funnel", moderator = "", i = seq_along(ps), x = ps,
                                     value_1 = qnorm(1 - ps / 2), value_2 = NA, value_3 = NA)
res <- do.call(rbind, out)
write.csv(res, "tests/r/figure_tables_expected.csv", row.names = FALSE, na = "")
