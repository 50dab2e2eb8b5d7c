# Expected values for tests/engine/test_engine_api.py (issue 22 item 8, issue 23 item 3, issue 26 items 2
# and 4), computed by metafor: printouts (print() of rma, fsn, ranktest, regtest, trimfill),
# predict with newmods and transf, level as a proportion, escalc's vtype / add / to / drop00,
# ranktest's exact and approximate p-values (ties included), selmodel type="stepfun", and the
# profile-likelihood confint of three-level fits (assink2016, fukkinklont2007).
# Run from the repository root:  Rscript tests/r/engine_api.R  (writes tests/r/engine_api.json)
suppressMessages(library(metafor))
source("tests/r/to_json.R")  # to_json(): a small JSON writer
out <- list(metafor = as.character(packageVersion("metafor")))
prn <- function(x) gsub("\"", "'", sub("[[:space:]]+$", "", capture.output(print(x))))  # the printed lines

bcg <- read.csv("../shared/golden/data/bcg.csv")
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
out$bcg <- list(yi = as.numeric(dat$yi), vi = as.numeric(dat$vi), ablat = bcg$ablat)

# 1. printouts
f_re <- rma(yi, vi, data = dat)
konst <- read.csv("../shared/golden/data/konstantopoulos2011.csv")
out$prints <- list(
  rma_reml = prn(f_re),
  rma_knha = prn(rma(yi, vi, data = dat, test = "knha")),
  rma_mods = prn(rma(yi, vi, mods = ~ ablat, data = dat)),
  rma_ee = prn(rma(yi, vi, data = dat, method = "EE")),
  rma_ee_mods_knha = prn(suppressWarnings(rma(yi, vi, mods = ~ ablat, data = dat, method = "EE", test = "knha"))),
  fsn_rosenthal = prn(fsn(yi, vi, data = dat)),
  fsn_orwin = prn(fsn(yi, vi, data = dat, type = "Orwin")),
  fsn_rosenberg = prn(fsn(yi, vi, data = dat, type = "Rosenberg")),
  ranktest = prn(ranktest(f_re)),
  regtest = prn(regtest(f_re)),
  trimfill = prn(trimfill(f_re)),
  confint = prn(confint(f_re)),
  rma_mv = prn(rma.mv(yi, vi, random = ~ 1 | district/school, data = konst)),
  robust_mv = prn(robust(rma.mv(yi, vi, random = ~ 1 | district/school, data = konst), cluster = konst$district,
                         clubSandwich = TRUE)),
  robust_mv_year = prn(robust(rma.mv(yi, vi, mods = ~ year, random = ~ 1 | district/school, data = konst),
                              cluster = konst$district, clubSandwich = TRUE)),
  rma_mh_or = prn(rma.mh(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)),
  rma_peto = prn(rma.peto(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)),
  rma_mv_year_t = prn(rma.mv(yi, vi, mods = ~ year, random = ~ 1 | district/school, data = konst, test = "t")))

# 2. predict: newmods, transf, the fit's critical values; no PI for an equal-effects fit
f_kh <- rma(yi, vi, mods = ~ ablat, data = dat, test = "knha")
p1 <- predict(f_kh, newmods = c(10, 50))
p2 <- predict(f_kh, newmods = c(10, 50), transf = exp)
p3 <- predict(rma(yi, vi, data = dat, method = "EE"))
p4 <- predict(f_kh, level = 0.9)
f_ml1 <- rma(yi, vi, mods = ~ ablat, data = dat, method = "ML")
out$prints$fitstats <- prn(fitstats(f_re))
out$prints$anova_wald <- prn(anova(f_ml1, X = rbind(c(1, 10), c(1, 50))))
out$prints$permutest_exact <- prn(permutest(rma(yi, vi, mods = ~ ablat, data = dat[1:6, ], method = "DL"), exact = TRUE))
out$prints$anova_lrt <- prn(anova(f_ml1, rma(yi, vi, data = dat, method = "ML")))
out$prints$predict_kh <- prn(p1)
out$prints$predict_kh_exp <- prn(p2)
out$prints$predict_re <- prn(predict(f_re))
out$prints$predict_ee <- prn(p3)
out$predict <- list(
  newmods = c(10, 50),
  kh = list(pred = p1$pred, se = p1$se, ci_lb = p1$ci.lb, ci_ub = p1$ci.ub, pi_lb = p1$pi.lb, pi_ub = p1$pi.ub),
  kh_exp = list(pred = p2$pred, ci_lb = p2$ci.lb, ci_ub = p2$ci.ub, pi_lb = p2$pi.lb, pi_ub = p2$pi.ub),
  ee = list(pred = p3$pred, ci_lb = p3$ci.lb, has_pi = !is.null(p3$pi.lb)),
  fitted_90 = list(pred = p4$pred, ci_lb = p4$ci.lb, ci_ub = p4$ci.ub, pi_lb = p4$pi.lb, pi_ub = p4$pi.ub))

# 3. level: 0.9 and 90 both mean 90 %
f90 <- rma(yi, vi, data = dat, level = 0.9)
out$level <- list(ci_lb = f90$ci.lb, ci_ub = f90$ci.ub, same_as_90 = isTRUE(all.equal(f90$ci.lb, rma(yi, vi, data = dat, level = 90)$ci.lb)))

# 4. escalc: vtype, add / to, drop00
t2 <- data.frame(ai = c(0, 3, 5, 0, 2), bi = c(10, 12, 0, 20, 8), ci = c(2, 0, 4, 0, 3), di = c(8, 15, 10, 18, 7))
md <- data.frame(m1i = c(10.2, 12.1, 9.5, 11.0), sd1i = c(2.1, 3.0, 2.5, 2.2), n1i = c(15, 20, 12, 30),
                 m2i = c(9.1, 10.0, 9.9, 10.1), sd2i = c(2.0, 2.8, 2.7, 2.4), n2i = c(14, 22, 13, 28))
pr <- data.frame(xi = c(0, 5, 10, 3), ni = c(20, 25, 30, 10))
co <- data.frame(ri = c(0.3, 0.5, -0.1, 0.45), ni = c(40, 25, 60, 33))
ir <- data.frame(x1i = c(0, 3, 0, 6), t1i = c(100, 120, 90, 200), x2i = c(0, 2, 4, 5), t2i = c(110, 100, 95, 180))
ev <- function(e) list(yi = as.numeric(e$yi), vi = as.numeric(e$vi))
es <- list()
for (m in c("OR", "RR", "RD")) {
  for (to in c("only0", "all", "if0all")) {
    es[[paste(m, to, "add0.5", sep = "_")]] <- c(list(measure = m, args = "t2", to = to, add = 0.5, drop00 = FALSE),
      ev(escalc(m, ai = ai, bi = bi, ci = ci, di = di, data = t2, to = to, add = 0.5)))
  }
  es[[paste(m, "only0_add1", sep = "_")]] <- c(list(measure = m, args = "t2", to = "only0", add = 1, drop00 = FALSE),
    ev(escalc(m, ai = ai, bi = bi, ci = ci, di = di, data = t2, add = 1)))
  es[[paste(m, "drop00", sep = "_")]] <- c(list(measure = m, args = "t2", to = "only0", add = 0.5, drop00 = TRUE),
    ev(escalc(m, ai = ai, bi = bi, ci = ci, di = di, data = t2, drop00 = TRUE)))
}
es$OR_none_bcg <- c(list(measure = "OR", args = "bcg", to = "none", add = 0.5, drop00 = FALSE),
  ev(escalc("OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg, to = "none")))
es$AS_default <- c(list(measure = "AS", args = "t2", to = "only0", add = NA, drop00 = FALSE),
  ev(escalc("AS", ai = ai, bi = bi, ci = ci, di = di, data = t2)))
es$AS_add0.5 <- c(list(measure = "AS", args = "t2", to = "only0", add = 0.5, drop00 = FALSE),
  ev(escalc("AS", ai = ai, bi = bi, ci = ci, di = di, data = t2, add = 0.5)))
for (vt in c("LS", "UB", "LS2", "AV")) es[[paste0("SMD_", vt)]] <- c(list(measure = "SMD", args = "md", vtype = vt),
  ev(escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = md, vtype = vt)))
es$MD_HO <- c(list(measure = "MD", args = "md", vtype = "HO"),
  ev(escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = md, vtype = "HO")))
for (vt in c("UB", "AV")) es[[paste0("RD_", vt)]] <- c(list(measure = "RD", args = "t2", vtype = vt),
  ev(escalc("RD", ai = ai, bi = bi, ci = ci, di = di, data = t2, vtype = vt)))
for (vt in c("LS", "UB", "AV")) es[[paste0("PR_", vt)]] <- c(list(measure = "PR", args = "pr", vtype = vt),
  ev(escalc("PR", xi = xi, ni = ni, data = pr, vtype = vt)))
es$PR_all <- c(list(measure = "PR", args = "pr", to = "all", add = 0.5), ev(escalc("PR", xi = xi, ni = ni, data = pr, to = "all")))
es$PLO_if0all <- c(list(measure = "PLO", args = "pr", to = "if0all", add = 0.5), ev(escalc("PLO", xi = xi, ni = ni, data = pr, to = "if0all")))
es$PLN_AV <- c(list(measure = "PLN", args = "pr", vtype = "AV"), ev(escalc("PLN", xi = xi, ni = ni, data = pr, vtype = "AV")))
es$COR_AV <- c(list(measure = "COR", args = "co", vtype = "AV"), ev(escalc("COR", ri = ri, ni = ni, data = co, vtype = "AV")))
es$IRR_drop00 <- c(list(measure = "IRR", args = "ir", to = "only0", add = 0.5, drop00 = TRUE),
  ev(escalc("IRR", x1i = x1i, t1i = t1i, x2i = x2i, t2i = t2i, data = ir, drop00 = TRUE)))
es$IRR_all <- c(list(measure = "IRR", args = "ir", to = "all", add = 0.5, drop00 = FALSE),
  ev(escalc("IRR", x1i = x1i, t1i = t1i, x2i = x2i, t2i = t2i, data = ir, to = "all")))
out$escalc_data <- list(t2 = as.list(t2), md = as.list(md), pr = as.list(pr), co = as.list(co), ir = as.list(ir),
                        bcg = list(ai = bcg$tpos, bi = bcg$tneg, ci = bcg$cpos, di = bcg$cneg))
out$escalc <- es

# 5. ranktest: exact at every k without ties (cor.test exact = TRUE), normal approximation with ties
land <- read.csv("data/external/landenberger2005.csv")
dl <- escalc("OR", ai = n.cbt.non, bi = n.cbt.rec, ci = n.ctrl.non, di = n.ctrl.rec, data = land)
hack <- read.csv("../shared/golden/data/hackshaw1998.csv")
rk <- function(yi, vi, exact = TRUE) {
  r <- suppressWarnings(ranktest(yi, vi, exact = exact))
  list(yi = as.numeric(yi), vi = as.numeric(vi), tau = as.numeric(r$tau), pval = r$pval)
}
ties_vi <- dat$vi; ties_vi[c(2, 5)] <- ties_vi[c(1, 4)]  # two tied variances
out$ranktest <- list(
  landenberger_k58 = rk(dl$yi, dl$vi),
  landenberger_k58_approx = c(rk(dl$yi, dl$vi, exact = FALSE), list(exact = FALSE)),
  bcg_k13 = rk(dat$yi, dat$vi),
  bcg_ties = rk(dat$yi, ties_vi),
  hackshaw_k37 = rk(hack$yi, hack$vi))

# 6. selmodel type = "stepfun"
sm <- selmodel(rma(-yi, vi, data = dat, method = "ML"), type = "stepfun", steps = c(0.05))  # -yi: effects > 0 (alternative "greater")
out$prints$selmodel <- prn(sm)
out$selmodel <- list(beta = as.numeric(sm$beta), tau2 = sm$tau2, delta = sm$delta, LRT = sm$LRT)

# 7. profile-likelihood CIs of three-level fits
ci3 <- function(f) {
  ci <- confint(f, control = list(tol = 1e-10))  # the root search converged further than its default (tol 1.2e-4)
  lapply(ci[seq_len(length(ci) - 1)], function(z) as.numeric(z$random[1, ]))
}
as16 <- read.csv("data/external/assink2016.csv")
fk07 <- read.csv("data/external/fukkinklont2007.csv")
ctl <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-14, maxit = 5000)  # converged further than nlminb's default
fa <- rma.mv(yi, vi, random = ~ 1 | study/esid, data = as16, control = ctl)
fa2 <- rma.mv(yi, vi, mods = ~ year, random = ~ 1 | study/esid, data = as16, control = ctl)
ff <- rma.mv(yi, vi, random = ~ 1 | id_exp/es_id, data = fk07, control = ctl)
out$confint_mv <- list(
  assink2016 = list(sigma2 = fa$sigma2, ci = unname(ci3(fa))),
  assink2016_year = list(sigma2 = fa2$sigma2, ci = unname(ci3(fa2))),
  fukkinklont2007 = list(sigma2 = ff$sigma2, ci = unname(ci3(ff))))

# 8. a data set on which Fisher scoring from the HE start takes a step that lowers the restricted
# likelihood (evsynth halves it); metafor's REML estimate, iterated to a threshold of 1e-12
hy <- c(-0.18044, 1.549186, -0.457482, 18.263597, 0.826523, -0.394139, 1.080374, 0.460921, 0.27282)
hv <- c(0.041757, 3.856601, 0.26459, 99.427555, 7.588541, 14.228437, 0.019849, 0.005774, 0.00992)
fh <- rma(hy, hv, method = "REML", control = list(threshold = 1e-12, maxiter = 10000))
out$halving <- list(yi = hy, vi = hv, tau2 = fh$tau2, ll = as.numeric(logLik(fh)))

writeLines(to_json(out), "tests/r/engine_api.json")
