# Expected values for tests/api/test_frontend.py and tests/api/test_plotverbs.py (issue 26): metafor's standard
# analyses run on data frames with formulas -- escalc with data, rma with formula moderators (numeric,
# factor, interaction, no intercept, releveled factor), Knapp-Hartung, predict, rma.mv with random =
# ~ 1 | a/b and the list form, robust (CR2), and the numbers forest/funnel/radial/baujat draw.
# The data sets are exported to CSV so that Python reads exactly metafor's data.
# Run from the repository root:  Rscript tests/r/frontend.R  (writes tests/r/frontend.json and the CSVs)
suppressMessages(library(metafor))
source("tests/r/to_json.R")  # to_json(): a small JSON writer
out <- list(metafor = as.character(packageVersion("metafor")))
write.csv(dat.bcg, "tests/r/dat_bcg.csv", row.names = FALSE)
write.csv(dat.konstantopoulos2011, "tests/r/dat_konstantopoulos2011.csv", row.names = FALSE)

coefs <- function(f) list(names = gsub("\"", "\\\\\"", rownames(f$beta)),  # JSON-escaped quotes
                          beta = as.vector(f$beta), se = f$se, stat = f$zval,
                          pval = f$pval, ci_lb = f$ci.lb, ci_ub = f$ci.ub)
uni <- function(f) c(coefs(f), list(tau2 = f$tau2, QE = f$QE, QM = f$QM, QMdf = f$QMdf[1], I2 = f$I2,
                                    R2 = if (is.null(f$R2)) NA else f$R2))

dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg,
              slab = paste(author, year, sep = ", "))
s <- summary(dat)
out$escalc_rr <- list(yi = as.vector(dat$yi), vi = dat$vi, ci_lb = s$ci.lb, ci_ub = s$ci.ub,
                      slab = attr(dat$yi, "slab"))
d2 <- escalc(measure = "OR", ai = tpos, n1i = tpos + tneg, ci = cpos, n2i = cpos + cneg, data = dat.bcg)
out$escalc_or_n <- list(yi = as.vector(d2$yi), vi = d2$vi)
# escalc's options passed through the data-frame front end: add/to, and vtype for the SMD (dat.normand1999)
d3 <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg, add = 0.5, to = "all")
out$escalc_rr_all <- list(yi = as.vector(d3$yi), vi = d3$vi)
write.csv(dat.normand1999, "tests/r/dat_normand1999.csv", row.names = FALSE)
d4 <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
             data = dat.normand1999, vtype = "UB")
out$escalc_smd_ub <- list(yi = as.vector(d4$yi), vi = d4$vi)

f0 <- rma(yi, vi, data = dat)
out$rma_re <- c(uni(f0), list(pi_lb = predict(f0)$pi.lb, pi_ub = predict(f0)$pi.ub, weights = as.vector(weights(f0))))
f1 <- rma(yi, vi, mods = ~ ablat, data = dat)
out$rma_ablat <- uni(f1)
p1 <- predict(f1, newmods = c(10, 30, 50), transf = exp)
out$predict_ablat <- list(newmods = c(10, 30, 50), pred = p1$pred, ci_lb = p1$ci.lb, ci_ub = p1$ci.ub,
                          pi_lb = p1$pi.lb, pi_ub = p1$pi.ub)
f3 <- rma(yi, vi, mods = ~ ablat + alloc, data = dat)
out$rma_ablat_alloc <- uni(f3)
# newmods for ablat 10 / alloc random and ablat 30 / alloc systematic (dummy columns allocrandom, allocsystematic)
p3 <- predict(f3, newmods = rbind(c(10, 1, 0), c(30, 0, 1)))
out$predict_ablat_alloc <- list(pred = p3$pred, se = p3$se, ci_lb = p3$ci.lb, ci_ub = p3$ci.ub, pi_lb = p3$pi.lb,
                                pi_ub = p3$pi.ub)
out$rma_alloc_noint <- uni(rma(yi, vi, mods = ~ alloc - 1, data = dat))
out$rma_relevel <- uni(rma(yi, vi, mods = ~ relevel(factor(alloc), ref = "random"), data = dat))
out$rma_interaction <- uni(rma(yi, vi, mods = ~ ablat * year, data = dat))
out$rma_factor_interaction <- uni(rma(yi, vi, mods = ~ year + ablat:alloc, data = dat, method = "DL"))
out$rma_knha <- uni(rma(yi, vi, mods = ~ ablat + year, data = dat, test = "knha"))
out$rma_level90 <- uni(rma(yi, vi, data = dat, level = 90))

pdf(NULL)  # the plotting functions return what they draw
# radial (Galbraith): the coordinates metafor's radial() draws (x = 1/sqrt(vi + tau2), y = yi/sqrt(vi + tau2))
rad <- radial(f0)
out$radial <- list(x = rad$x, y = rad$y)
# baujat: x = contribution to QE, y = influence on the fitted value (metafor's baujat.rma)
b <- baujat(f0, progbar = FALSE)
out$baujat <- list(x = b$x, y = b$y, slab = b$slab)
# funnel: the points metafor's funnel() draws (yi, sei) and the centre of the region (the RE estimate)
fun <- funnel(f0)
out$funnel <- list(x = fun$x, y = fun$y, estimate = as.vector(f0$beta))
fun1 <- funnel(f1)  # a meta-regression: residuals against their standard errors
out$funnel_ablat <- list(x = fun1$x, y = fun1$y)
# influence: Cook's distances, DFFITS, hat values as plot(influence(fit)) draws them
inf <- influence(f0)
out$influence <- list(rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d,
                      cov_r = inf$inf$cov.r, tau2_del = inf$inf$tau2.del, QE_del = inf$inf$QE.del,
                      hat = inf$inf$hat, weight = inf$inf$weight, is_infl = inf$inf$inf == "*")
# labbe: the points metafor's labbe() draws for the RR fit of the 2x2 data (log risks of both groups)
lab <- labbe(rma(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg, measure = "RR"))
out$labbe <- list(x = lab$x, y = lab$y)
# gosh over every subset of the first 6 studies (2^6 - 1 = 63 fits)
g <- gosh(rma(yi, vi, data = dat[1:6, ]), progbar = FALSE)
out$gosh6 <- list(estimate = g$res$estimate, I2 = g$res$I2, n = nrow(g$res),
                  incl = lapply(seq_len(nrow(g$incl)), function(i) which(unlist(g$incl[i, ]))))

# multilevel: schools within districts
k11 <- dat.konstantopoulos2011
mv <- function(f) c(coefs(f), list(sigma2 = f$sigma2, s_names = f$s.names, s_nlevels = f$s.nlevels,
                                   QE = f$QE, QM = f$QM))
m1 <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k11)
out$rma_mv_nested <- mv(m1)
out$rma_mv_list <- mv(rma.mv(yi, vi, random = list(~ 1 | district, ~ 1 | study), data = k11))
out$rma_mv_year <- mv(rma.mv(yi, vi, mods = ~ year, random = ~ 1 | district/school, data = k11, method = "ML"))
m3 <- rma.mv(yi, vi, random = ~ factor(school) | district, struct = "CS", data = k11)
out$rma_mv_cs <- c(coefs(m3), list(tau2 = m3$tau2, rho = m3$rho))
r1 <- robust(m1, cluster = district, clubSandwich = TRUE)
out$robust_nested <- list(beta = as.vector(r1$beta), se = r1$se, stat = r1$zval, df = r1$ddf, pval = r1$pval,
                          ci_lb = r1$ci.lb, ci_ub = r1$ci.ub)
writeLines(to_json(out), "tests/r/frontend.json")
