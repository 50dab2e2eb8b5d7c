# Expected values for tests/engine/test_escalc_vtypes.py (issue 26 item 2): escalc's vtype for
# ROM ("LS", "HO", "AV", "AVHO"; dat.curtis1998), PLO ("LS", "AV"; dat.pritz1997, which has
# studies with no non-events, so the continuity correction enters the AV mean), SMDH ("LS",
# "LS2"; dat.normand1999), UCOR ("LS", "UB", "AV"; dat.molloy2014, with r = 0 rows, plus a small
# frame with n <= 4 where metafor gives NA), SMCC and SMCR ("LS", "LS2"; Morris (2008) as in
# ?escalc), one per-study vtype vector, and the vtypes metafor accepts for each of these measures
# (read from its error message for a vtype it refuses).
# UCOR needs the R package gsl (Debian: r-cran-gsl).
# Run from the repository root:  Rscript tests/r/escalc_vtypes.R  (writes tests/r/escalc_vtypes.json)
suppressMessages(library(metafor))
source("tests/r/to_json.R")  # to_json(): a small JSON writer
out <- list(metafor = as.character(packageVersion("metafor")))

curtis <- dat.curtis1998[, c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")]
normand <- dat.normand1999[, c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")]
pritz <- dat.pritz1997[, c("xi", "ni")]
molloy <- dat.molloy2014[, c("ri", "ni")]
small_r <- data.frame(ri = c(0.5, -0.2, 0.3, 0.1), ni = c(3, 4, 5, 30))
# Morris (2008), treatment groups, as in ?escalc (m1i: post, m2i: pre, sd1i: the pre SD for SMCR)
morris <- data.frame(m1i = c(38.5, 26.8, 0.7, 75.9, 36.0), m2i = c(30.6, 23.5, 0.5, 53.4, 35.6),
                     sd1i = c(15.0, 3.1, 0.1, 14.5, 4.7), sd2i = c(11.6, 4.1, 0.1, 4.4, 4.6),
                     ni = c(20, 50, 9, 10, 14), ri = c(0.47, 0.64, 0.77, 0.89, 0.44))
out$data <- list(curtis = as.list(curtis), normand = as.list(normand), pritz = as.list(pritz),
                 molloy = as.list(molloy), small_r = as.list(small_r), morris = as.list(morris))

ev <- function(e) list(yi = as.numeric(e$yi), vi = as.numeric(e$vi))
cases <- list()
add_case <- function(measure, data, vtype, e) {
  cases[[paste(measure, data, paste(vtype, collapse = "-"), sep = "_")]] <<- c(
    list(measure = measure, data = data, vtype = vtype), ev(e))
}
two <- function(m, d, vt) escalc(m, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                                 data = get(d), vtype = vt)
for (vt in c("LS", "HO", "AV", "AVHO")) add_case("ROM", "curtis", vt, two("ROM", "curtis", vt))
for (vt in c("LS", "LS2")) add_case("SMDH", "normand", vt, two("SMDH", "normand", vt))
for (vt in c("LS", "AV")) add_case("PLO", "pritz", vt, escalc("PLO", xi = xi, ni = ni, data = pritz, vtype = vt))
for (vt in c("LS", "UB", "AV")) {
  add_case("UCOR", "molloy", vt, escalc("UCOR", ri = ri, ni = ni, data = molloy, vtype = vt))
  add_case("UCOR", "small_r", vt, suppressWarnings(escalc("UCOR", ri = ri, ni = ni, data = small_r, vtype = vt)))
}
add_case("COR", "small_r", "LS", escalc("COR", ri = ri, ni = ni, data = small_r))
for (vt in c("LS", "LS2")) {
  add_case("SMCC", "morris", vt, escalc("SMCC", m1i = m1i, m2i = m2i, sd1i = sd1i, sd2i = sd2i, ni = ni, ri = ri,
                                        data = morris, vtype = vt))
  add_case("SMCR", "morris", vt, escalc("SMCR", m1i = m1i, m2i = m2i, sd1i = sd1i, ni = ni, ri = ri,
                                        data = morris, vtype = vt))
}
# one vtype per study (metafor takes a vector)
vt9 <- rep(c("LS", "HO", "AV", "AVHO"), length.out = nrow(curtis))
add_case("ROM", "curtis", "per-study", two("ROM", "curtis", vt9))
cases[["ROM_curtis_per-study"]]$vtype <- vt9
out$cases <- cases

# the vtypes metafor accepts per measure: its message for a vtype the measure refuses
refused <- function(expr) tryCatch({ expr; "accepted" }, error = function(e) conditionMessage(e))
out$refusals <- list(
  ROM = refused(two("ROM", "curtis", "UB")),
  PLO = refused(escalc("PLO", xi = xi, ni = ni, data = pritz, vtype = "UB")),
  UCOR = refused(escalc("UCOR", ri = ri, ni = ni, data = molloy, vtype = "HO")),
  COR = refused(escalc("COR", ri = ri, ni = ni, data = molloy, vtype = "UB")),
  SMCC = refused(escalc("SMCC", m1i = m1i, m2i = m2i, sd1i = sd1i, sd2i = sd2i, ni = ni, ri = ri, data = morris,
                        vtype = "AV")),
  SMCR = refused(escalc("SMCR", m1i = m1i, m2i = m2i, sd1i = sd1i, ni = ni, ri = ri, data = morris, vtype = "AV")))
writeLines(to_json(out), "tests/r/escalc_vtypes.json")
