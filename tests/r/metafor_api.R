# metafor's exported functions and the arguments of its user-facing verbs, for docs/from-metafor.md
# (the page maps each to evsynth's; tests/test_docs.py checks the page names every one of them).
# Run from the repository root:  Rscript tests/r/metafor_api.R  (writes tests/r/metafor_api.json)
suppressMessages(library(metafor))
source("tests/r/to_json.R")
verbs <- c("escalc", "rma.uni", "rma.mv", "rma.mh", "rma.peto", "rma.glmm", "robust.rma.uni", "robust.rma.mv",
           "predict.rma", "confint.rma.uni", "anova.rma", "fitstats.rma", "ranef.rma.mv", "blup.rma.uni",
           "vcalc", "influence.rma.uni", "leave1out.rma.uni", "cumul.rma.uni", "trimfill.rma.uni", "regtest",
           "ranktest", "fsn", "selmodel.rma.uni", "permutest.rma.uni", "forest.rma", "funnel.rma", "regplot.rma",
           "baujat.rma", "labbe.rma", "radial.rma", "gosh.rma", "plot.infl.rma.uni")
args <- lapply(verbs, function(v) {
  f <- get(v, envir = asNamespace("metafor"))
  setdiff(names(formals(f)), "...")
})
names(args) <- verbs
out <- list(metafor = as.character(packageVersion("metafor")), exports = sort(ls("package:metafor")),
            args = args)
writeLines(to_json(out), "tests/r/metafor_api.json")
