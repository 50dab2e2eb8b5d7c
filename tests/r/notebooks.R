# Expected values for the numbers the teaching notebooks print, computed with metafor.
# Run from the repository root:  Rscript tests/r/notebooks.R > tests/r/notebooks_metafor.json
# tests/test_notebooks.py executes each notebook and compares what it prints with these values.
suppressPackageStartupMessages({library(metafor)})
source("tests/r/to_json.R")

fit_fields <- function(f, pi = FALSE) {
  out <- list(k = f$k, tau2 = f$tau2, I2 = f$I2, estimate = as.numeric(f$beta[1]), se = f$se[1],
              ci_lb = f$ci.lb[1], ci_ub = f$ci.ub[1], pval = f$pval[1], QE = f$QE)
  if (pi) { p <- predict(f); out$pi_lb <- p$pi.lb; out$pi_ub <- p$pi.ub }
  out
}

# --- 00_start_here: ECBI intensity (parent report), RCTs against waitlist or usual care, the first
# comparison of each study (ref_id) in data/ahrq2015/comparisons.csv; Hedges' g, sign flipped so
# that positive = fewer behaviour problems with the programme.
a <- read.csv("data/ahrq2015/comparisons.csv")
e <- a[a$instrument == "Eyberg Child Behaviour Inventory, Intensity Subscale" & a$reporter == "Parent" &
       a$design == "RCT", ]
e <- e[!duplicated(e$ref_id), ]
g <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = e)
# Cohen's d without the small-sample correction, from the pooled SD (Borenstein et al., 2009, eq. 4.18)
sp <- with(e, sqrt(((n1i - 1) * sd1i^2 + (n2i - 1) * sd2i^2) / (n1i + n2i - 2)))
d_unc <- with(e, (m2i - m1i) / sp)
g$yi <- -g$yi
fe <- rma(yi, vi, data = g, method = "EE")
re <- rma(yi, vi, data = g, method = "REML")
dl <- rma(yi, vi, data = g, method = "DL")
big <- which.max(weights(fe))
re_drop <- rma(yi, vi, data = g[-big, ], method = "REML")
# exercise 3: a new trial with 1000 children per group and g = 0.10 added
yi2 <- c(g$yi, 0.10); vi2 <- c(g$vi, 2 / 1000 + 0.10^2 / 4000)
fe2 <- rma(yi2, vi2, method = "EE"); re2 <- rma(yi2, vi2, method = "REML")
start <- list(
  k = nrow(g), ref_id = e$ref_id, study = e$study,
  sd_pooled = sp, d_uncorrected = d_unc, g = as.numeric(g$yi), vi = as.numeric(g$vi),
  fixed = fit_fields(fe), random = fit_fields(re, pi = TRUE), random_DL = fit_fields(dl),
  weights_fixed = as.numeric(weights(fe)), weights_random = as.numeric(weights(re)),
  largest_dropped = list(study = e$study[big], random = fit_fields(re_drop)),
  new_trial = list(fixed = as.numeric(coef(fe2)), fixed_weight = as.numeric(weights(fe2)[17]),
                   random = as.numeric(coef(re2)), random_weight = as.numeric(weights(re2)[17])))

# --- 02_estimators: Barlow et al. (2014), sign flipped (positive = improvement)
b <- read.csv("data/external/barlow2014.csv")
b$yi <- -b$y
est <- list()
for (m in c("DL", "REML", "PM", "ML", "EB")) for (t in c("z", "knha", "adhoc")) {
  f <- rma(yi, s2, data = b, method = m, test = t)
  est[[paste(m, t)]] <- fit_fields(f)
}
# Q(tau^2) = k - 1 at the PM estimate; Q at tau^2 = 0 (the fixed-effect Q)
keep <- rank(b$s2, ties.method = "first") > 10
pm_small <- rma(yi, s2, data = b[keep, ], method = "PM")
pm_small_kh <- rma(yi, s2, data = b[keep, ], method = "PM", test = "knha")
first5 <- list(DL_z = fit_fields(rma(yi, s2, data = b[1:5, ], method = "DL")),
               REML_knha = fit_fields(rma(yi, s2, data = b[1:5, ], method = "REML", test = "knha")))
estimators <- list(k = nrow(b), fits = est, first5 = first5,
  ci_tau2_REML = { ci <- confint(rma(yi, s2, data = b, method = "REML")); as.numeric(ci$random["tau^2", ]) },
  drop10_PM = list(tau2 = pm_small$tau2, se_ratio = pm_small_kh$se / pm_small$se))

# --- 03_moderators: Landenberger & Lipsey (2005); log odds ratio of not reoffending, CBT vs control
l <- read.csv("data/external/landenberger2005.csv")
l <- escalc("OR", ai = n.cbt.non, bi = n.cbt.rec, ci = n.ctrl.non, di = n.ctrl.rec, data = l)
mr <- list()
for (m in c("sessions", "hrs_week", "hrs_total", "length")) {
  f <- rma(yi, vi, mods = as.formula(paste("~", m)), data = l, method = "REML", test = "knha")
  mr[[m]] <- list(k = f$k, slope = f$beta[2], se = f$se[2], pval = f$pval[2], R2 = f$R2,
                  intercept_t = f$zval[1], intercept = f$beta[1])
}
l$design <- relevel(factor(l$design), ref = "rct")
fd <- rma(yi, vi, mods = ~ design, data = l, method = "REML", test = "knha")
sub <- list()
for (gr in unique(l$group)) sub[[gr]] <- fit_fields(rma(yi, vi, data = l[l$group == gr, ], method = "REML"))
sg <- data.frame(est = sapply(sub, `[[`, "estimate"), se = sapply(sub, `[[`, "se"), grp = names(sub))
qb <- rma(est, sei = se, mods = ~ grp, data = sg, method = "EE")
moderators <- list(k = nrow(l), metareg = mr,
  design = list(QM = fd$QM, QMdf = fd$QMdf, QMp = fd$QMp, R2 = fd$R2, terms = rownames(fd$beta),
                beta = as.numeric(fd$beta)),
  subgroups = sub, Q_between = qb$QM, p_between = qb$QMp, corr = cor(l[, c("sessions", "hrs_week", "hrs_total", "length")],
                                                                     use = "pairwise.complete.obs"))

# --- 04_mdft_walkthrough: van der Pol et al. (2017), three-level model (effect sizes within Study_ID)
v <- read.csv("data/external/vanderpol2017.csv")
v$es_id <- seq_len(nrow(v))
reml <- rma.mv(d, v, random = ~ 1 | Study_ID / es_id, data = v, method = "REML", test = "t")
ml <- rma.mv(d, v, random = ~ 1 | Study_ID / es_id, data = v, method = "ML", test = "t")
naive <- rma(d, v, data = v, method = "REML")
v$Outcome_measure <- relevel(factor(v$Outcome_measure), ref = "Substance abuse")
mo <- rma.mv(d, v, mods = ~ Outcome_measure, random = ~ 1 | Study_ID / es_id, data = v, method = "REML", test = "t")
sa <- v$Outcome_measure == "Substance abuse"
ssa <- rma.mv(d, v, random = ~ 1 | Study_ID / es_id, data = v[sa, ], method = "REML", test = "t")
eg <- regtest(naive)
pr <- predict(reml)
# I² of the three-level model per level (Cheung, 2014; the formula of the metafor FAQ on multilevel I²)
W <- diag(1 / v$v); X <- model.matrix(reml)
P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
typical <- (reml$k - reml$p) / sum(diag(P))
I2_levels <- 100 * reml$sigma2 / (sum(reml$sigma2) + typical)
mdft <- list(I2_between = I2_levels[1], I2_within = I2_levels[2], I2_total = sum(I2_levels),
  reml = list(estimate = as.numeric(reml$beta), se = reml$se, ci_lb = reml$ci.lb, ci_ub = reml$ci.ub,
              pval = reml$pval, sigma2 = reml$sigma2, pi_lb = pr$pi.lb, pi_ub = pr$pi.ub),
  ml = list(sigma2 = ml$sigma2),
  naive = fit_fields(naive),
  outcome = list(QM = mo$QM, QMdf = mo$QMdf, QMp = mo$QMp),
  substance = list(k = ssa$k, estimate = as.numeric(ssa$beta), ci_lb = ssa$ci.lb, ci_ub = ssa$ci.ub),
  egger = list(zval = eg$zval, pval = eg$pval))

cat(to_json(list(metafor_version = as.character(packageVersion("metafor")), start_here = start,
                 estimators = estimators, moderators = moderators, mdft = mdft)), "\n", sep = "")
