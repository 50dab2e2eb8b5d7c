# Expected values for tests/pipeline/test_multiverse.py: the multiverses declared in config.yaml for
# barlow2014, fukkinklont2007, landenberger2005, vanderpol2017 and ahrq2015, fitted one specification at a time with metafor.
#   Rscript tests/r/multiverse.R            (from the repository root; writes tests/r/multiverse_metafor.csv)
# metafor's aggregate(struct = "CS", rho) aggregates the effects within a study, influence()$is.infl
# flags influential effects in the REML fit of the same data, rma() fits the specification.
suppressMessages(library(metafor))
options(warn = -1)  # KnHa with EE is declared on purpose
options(digits = 15)
rows <- list()
fit_one <- function(yi, vi, method, test) {
  if (length(yi) < ifelse(method == "EE", 1, 2))
    return(data.frame(k = length(yi), estimate = NA, se = NA, ci_lb = NA, ci_ub = NA, pval = NA, tau2 = NA,
                      I2 = NA, pi_lb = NA, pi_ub = NA))
  f <- rma(yi, vi, method = method, test = test)
  p <- predict(f)
  data.frame(k = f$k, estimate = as.numeric(f$beta), se = f$se, ci_lb = f$ci.lb, ci_ub = f$ci.ub, pval = f$pval,
             tau2 = f$tau2, I2 = f$I2, pi_lb = if (is.null(p$pi.lb)) p$ci.lb else p$pi.lb,
             pi_ub = if (is.null(p$pi.ub)) p$ci.ub else p$pi.ub)
}
drop_infl <- function(yi, vi) {
  # as evsynth: influence diagnostics need k >= 3 (with k = 2 nothing is excluded)
  if (length(yi) < 3) return(list(yi = yi, vi = vi, n = 0))
  inf <- influence(rma(yi, vi, method = "REML"))
  keep <- !(inf$is.infl %in% TRUE)  # NA (a leave-one-out fit that failed) counts as not influential
  list(yi = yi[keep], vi = vi[keep], n = sum(!keep))
}

# barlow2014: effects multiplied by -1 (config direction.flip)
b <- read.csv("data/external/barlow2014.csv")
id <- 0
for (infl in c("keep", "exclude")) for (method in c("REML", "DL", "PM", "ML", "EE")) for (test in c("z", "knha")) {
  id <- id + 1
  yi <- -b$y; vi <- b$s2; n <- 0
  if (infl == "exclude") { d <- drop_infl(yi, vi); yi <- d$yi; vi <- d$vi; n <- d$n }
  rows[[length(rows) + 1]] <- cbind(data.frame(analysis = "barlow2014", spec_id = id, n_excluded = n),
                                    fit_one(yi, vi, method, test))
}

# fukkinklont2007
fk <- read.csv("data/external/fukkinklont2007.csv")
id <- 0
for (design in c("all designs", "two-group designs")) for (outcome in c("all outcomes", "skills outcomes"))
  for (rho in c(0.2, 0.5, 0.8)) for (infl in c("keep", "exclude")) for (method in c("REML", "DL", "PM", "EE"))
    for (test in c("z", "knha")) {
  id <- id + 1
  d <- fk
  if (design == "two-group designs") d <- d[d$Design == "experimental group and control/comparison group", ]
  if (outcome == "skills outcomes") d <- d[d$DV_Skills == "yes", ]
  es <- escalc(measure = "GEN", yi = yi, vi = vi, data = d)
  agg <- aggregate(es, cluster = id_exp, rho = rho)
  yi <- agg$yi; vi <- agg$vi; n <- 0
  if (infl == "exclude") { r <- drop_infl(yi, vi); yi <- r$yi; vi <- r$vi; n <- r$n }
  rows[[length(rows) + 1]] <- cbind(data.frame(analysis = "fukkinklont2007", spec_id = id, n_excluded = n),
                                    fit_one(yi, vi, method, test))
}
# landenberger2005: log odds ratios of not reoffending (CBT vs control)
lb <- read.csv("data/external/landenberger2005.csv")
es <- escalc(measure = "OR", ai = n.cbt.non, bi = n.cbt.rec, ci = n.ctrl.non, di = n.ctrl.rec, data = lb)
lb$yi <- as.numeric(es$yi); lb$vi <- as.numeric(es$vi)
id <- 0
designs <- list("all designs" = NULL, "randomised or matched" = c("rct", "match"), "randomised only" = "rct")
groups <- list("all" = NULL, "juveniles" = "juveniles", "adults" = "adults")
probs <- list("any" = NULL, "none coded" = "no")
for (design in names(designs)) for (grp in names(groups)) for (prob in names(probs))
  for (infl in c("keep", "exclude")) for (method in c("REML", "DL", "PM", "EE")) for (test in c("z", "knha")) {
  id <- id + 1
  d <- lb
  if (!is.null(designs[[design]])) d <- d[d$design %in% designs[[design]], ]
  if (!is.null(groups[[grp]])) d <- d[d$group %in% groups[[grp]], ]
  if (!is.null(probs[[prob]])) d <- d[d$designprob %in% probs[[prob]], ]
  yi <- as.numeric(d$yi); vi <- as.numeric(d$vi); n <- 0
  if (infl == "exclude") { r <- drop_infl(yi, vi); yi <- r$yi; vi <- r$vi; n <- r$n }
  rows[[length(rows) + 1]] <- cbind(data.frame(analysis = "landenberger2005", spec_id = id, n_excluded = n),
                                    fit_one(yi, vi, method, test))
}
# vanderpol2017 (MDFT): d and v as in the source, effects aggregated per Study_ID
vp <- read.csv("data/external/vanderpol2017.csv")
id <- 0
outcomes <- list("all outcomes" = NULL, "substance abuse" = "Substance abuse",
                 "delinquency or externalizing" = c("Delinquency", "Externalizing"))
comparators <- list("all comparators" = NULL, "CBT or CT (not Group)" = c("CBT", "CT"))
for (outc in names(outcomes)) for (comp in names(comparators)) for (rho in c(0.2, 0.5, 0.8))
  for (infl in c("keep", "exclude")) for (method in c("REML", "DL", "PM", "EE")) for (test in c("z", "knha")) {
  id <- id + 1
  d <- vp
  if (!is.null(outcomes[[outc]])) d <- d[d$Outcome_measure %in% outcomes[[outc]], ]
  if (!is.null(comparators[[comp]])) d <- d[d$Comparison_condition %in% comparators[[comp]], ]
  es <- escalc(measure = "GEN", yi = d, vi = v, data = d)
  agg <- aggregate(es, cluster = Study_ID, rho = rho)
  yi <- as.numeric(agg$yi); vi <- as.numeric(agg$vi); n <- 0
  if (infl == "exclude") { r <- drop_infl(yi, vi); yi <- r$yi; vi <- r$vi; n <- r$n }
  rows[[length(rows) + 1]] <- cbind(data.frame(analysis = "vanderpol2017", spec_id = id, n_excluded = n),
                                    fit_one(yi, vi, method, test))
}

# ahrq2015 (family and parenting programmes): Hedges' g from the arm statistics, multiplied by -1
# (every instrument scores more problems higher; config direction.flip), aggregated per ref_id
ah <- read.csv("data/ahrq2015/comparisons.csv", stringsAsFactors = FALSE)
g <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = ah)
ah$yi <- -as.numeric(g$yi); ah$vi <- as.numeric(g$vi)
id <- 0
designs <- list("all designs" = NULL, "randomised only" = "RCT")
robs <- list("any risk of bias" = NULL, "low or moderate" = c("Low", "Moderate"))
comps <- list("waitlist or usual care" = NULL, "waitlist" = "waitlist", "usual care" = "usual care")
outs <- list("all behaviour outcomes" = NULL, "disruptive behaviour" = "01 Behavior, disruptive")
for (design in names(designs)) for (rob in names(robs)) for (comp in names(comps)) for (outc in names(outs))
  for (rho in c(0.2, 0.5, 0.8)) for (infl in c("keep", "exclude")) for (method in c("REML", "DL", "PM", "EE"))
    for (test in c("z", "knha")) {
  id <- id + 1
  d <- ah
  if (!is.null(designs[[design]])) d <- d[d$design %in% designs[[design]], ]
  if (!is.null(robs[[rob]])) d <- d[d$risk_of_bias %in% robs[[rob]], ]
  if (!is.null(comps[[comp]])) d <- d[d$comparator_type %in% comps[[comp]], ]
  if (!is.null(outs[[outc]])) d <- d[d$outcome %in% outs[[outc]], ]
  agg <- aggregate(escalc(measure = "GEN", yi = yi, vi = vi, data = d), cluster = ref_id, rho = rho)
  yi <- as.numeric(agg$yi); vi <- as.numeric(agg$vi); n <- 0
  if (infl == "exclude") { r <- drop_infl(yi, vi); yi <- r$yi; vi <- r$vi; n <- r$n }
  rows[[length(rows) + 1]] <- cbind(data.frame(analysis = "ahrq2015", spec_id = id, n_excluded = n),
                                    fit_one(yi, vi, method, test))
}
out <- do.call(rbind, rows)
write.csv(out, "tests/r/multiverse_metafor.csv", row.names = FALSE)
cat(sprintf("metafor %s: %d specifications written\n", packageVersion("metafor"), nrow(out)))
