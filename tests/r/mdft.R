# Expected values for the MDFT analysis (van der Pol et al., 2017), computed with metafor.
# Run from the repository root:  Rscript tests/r/mdft.R > tests/r/mdft_metafor.json
# Three-level model (effect sizes within Study_ID), REML, t tests (df = k - p), as declared
# for the analysis 'vanderpol2017' in config.yaml; CR2 robust inference with clubSandwich.
suppressPackageStartupMessages({library(metafor); library(clubSandwich)})
d <- read.csv("data/external/vanderpol2017.csv")
d$es_id <- seq_len(nrow(d))

num <- function(x) if (is.na(x)) "null" else formatC(x, digits = 15, format = "g")
obj <- function(fields) paste0("{", paste(sprintf('"%s": %s', names(fields), unlist(fields)), collapse = ", "), "}")
fitjson <- function(f) {
  terms <- rownames(f$beta)
  coefs <- sapply(seq_along(terms), function(i) obj(list(term = sprintf('"%s"', terms[i]),
    estimate = num(f$beta[i]), se = num(f$se[i]), pval = num(f$pval[i]),
    ci_lb = num(f$ci.lb[i]), ci_ub = num(f$ci.ub[i]))))
  obj(list(k = f$k, sigma2_1 = num(f$sigma2[1]), sigma2_2 = num(f$sigma2[2]),
           QE = num(f$QE), QM = num(f$QM),
           coefficients = paste0("[", paste(coefs, collapse = ", "), "]")))
}

f0 <- rma.mv(d, v, random = ~ 1 | Study_ID / es_id, data = d, method = "REML", test = "t")
cr2 <- coef_test(f0, vcov = "CR2", cluster = d$Study_ID, test = "Satterthwaite")
pr <- predict(f0)
main <- list(intercept = fitjson(f0), pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub),
             robust = obj(list(estimate = num(cr2$beta[1]), se = num(cr2$SE[1]), df = num(cr2$df_Satt[1]),
                               pval = num(cr2$p_Satt[1]))))

d$Outcome_measure <- relevel(factor(d$Outcome_measure), ref = "Substance abuse")
mods <- list(
  Outcome_measure = ~ Outcome_measure,
  Per_Conduct_disorder = ~ Per_Conduct_disorder,
  Per_Severe_cannabis_users = ~ Per_Severe_cannabis_users,
  Age_mean = ~ Age_mean,
  Follow_up = ~ Follow_up)
modfits <- sapply(names(mods), function(m) {
  sub <- d[!is.na(d[[m]]), ]
  f <- rma.mv(d, v, mods = mods[[m]], random = ~ 1 | Study_ID / es_id, data = sub, method = "REML", test = "t")
  sprintf('"%s": %s', m, fitjson(f))
})
cat("{\n", sprintf('"metafor_version": "%s",\n', packageVersion("metafor")),
    sprintf('"main": %s,\n', obj(main)),
    sprintf('"moderators": {%s}\n', paste(modfits, collapse = ",\n")), "}\n", sep = "")
