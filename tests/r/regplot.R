# Expected values for the regplot verb (tests/present/test_draw.py): what metafor's regplot draws and
# returns for dat.bcg -- the point sizes (psize), the fitted values at each study (pred), and the
# regression line with its confidence and prediction bands over regplot's grid of 1,000 moderator
# values (predict() at those values, the other moderators at their means, as regplot computes them).
# Run from the repository root:  Rscript tests/r/regplot.R  (writes tests/r/regplot.json)
suppressMessages(library(metafor))
source("tests/r/to_json.R")
out <- list(metafor = as.character(packageVersion("metafor")))
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)

one <- function(res, mod, name) {
  pdf(NULL)
  sav <- regplot(res, mod = mod, pi = TRUE)
  dev.off()
  X <- model.matrix(res)
  xi <- X[, name]
  r <- max(xi) - min(xi)
  xs <- seq(min(xi) - 0.04 * r, max(xi) + 0.04 * r, length = 1000)
  Xnew <- rbind(colMeans(X))[rep(1, 1000), , drop = FALSE]
  Xnew[, name] <- xs
  p <- predict(res, newmods = Xnew[, -1, drop = FALSE])
  pick <- c(1, 250, 500, 750, 1000)
  list(xi = sav$xi, yi = sav$yi, psize = sav$psize, pred = sav$pred, xs = xs[pick],
       line = p$pred[pick], ci_lb = p$ci.lb[pick], ci_ub = p$ci.ub[pick],
       pi_lb = p$pi.lb[pick], pi_ub = p$pi.ub[pick])
}

out$ablat <- one(rma(yi, vi, mods = ~ ablat, data = dat), "ablat", "ablat")
out$ablat_year <- one(rma(yi, vi, mods = ~ ablat + year, data = dat, test = "knha"), "ablat", "ablat")
writeLines(to_json(out), "tests/r/regplot.json")
