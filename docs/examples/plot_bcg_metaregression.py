"""
BCG vaccine: escalc, random effects, meta-regression, predict, forest and funnel
================================================================================

metafor's introductory analysis (Viechtbauer 2010, ``?dat.bcg``): the log risk ratios of
tuberculosis in 13 trials of the BCG vaccine, a random-effects model, a meta-regression on
absolute latitude (``mods = ~ ablat``) and on the allocation method (a text column, a factor
with ``alternate`` as reference), predicted risk ratios at latitudes 10, 30 and 50, and the
forest and funnel plots.  metafor's printed numbers (metafor 3.8.1) stand beside evsynth's.
"""

# %%
# The data: metafor's ``dat.bcg``, exported from R to ``tests/r/dat_bcg.csv``.
from pathlib import Path

import numpy as np
import pandas as pd

from evsynth import escalc, forest, funnel, predict, rma

try:
    ROOT = Path(__file__).resolve().parents[2]
except NameError:  # run interactively from docs/examples
    ROOT = Path.cwd().resolve().parents[1]
bcg = pd.read_csv(ROOT / "tests" / "r" / "dat_bcg.csv")

# %%
# ``escalc`` with ``data=`` returns the data frame with ``yi`` and ``vi`` added, as metafor's
# ``escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)``.
dat = escalc(
    "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=bcg, slab=bcg["author"] + ", " + bcg["year"].astype(str)
)
print(dat[["author", "year", "tpos", "tneg", "cpos", "cneg", "ablat", "alloc", "yi", "vi"]].round(4).head())

# %%
# The random-effects model, ``rma(yi, vi, data = dat)``.  metafor prints::
#
#     tau^2 (estimated amount of total heterogeneity): 0.3132 (SE = 0.1664)
#     I^2 (total heterogeneity / total variability):   92.22%
#     Q(df = 12) = 152.2330, p-val < .0001
#     estimate      se     zval    pval    ci.lb    ci.ub
#      -0.7145  0.1798  -3.9744  <.0001  -1.0669  -0.3622
res = rma(dat)
print(res)

# %%
# Side by side:
metafor = {
    "estimate": -0.7145,
    "se": 0.1798,
    "ci.lb": -1.0669,
    "ci.ub": -0.3622,
    "tau2": 0.3132,
    "I2": 92.22,
    "QE": 152.2330,
}
evsynth_values = {
    "estimate": res.beta[0],
    "se": res.se[0],
    "ci.lb": res.ci_lb[0],
    "ci.ub": res.ci_ub[0],
    "tau2": res.tau2,
    "I2": res.I2,
    "QE": res.QE,
}
print(pd.DataFrame({"metafor": metafor, "evsynth": evsynth_values}).round(4))

# %%
# Meta-regression on absolute latitude, ``rma(yi, vi, mods = ~ ablat, data = dat)``.  metafor::
#
#     tau^2 (estimated amount of residual heterogeneity):     0.0764 (SE = 0.0591)
#     R^2 (amount of heterogeneity accounted for):            75.62%
#     QE(df = 11) = 30.7331, p-val = 0.0012
#     QM(df = 1) = 16.3571, p-val < .0001
#              estimate      se     zval    pval    ci.lb    ci.ub
#     intrcpt    0.2515  0.2491   1.0095  0.3127  -0.2368   0.7397
#     ablat     -0.0291  0.0072  -4.0444  <.0001  -0.0432  -0.0150
res2 = rma("yi", "vi", mods="~ ablat", data=dat)
print(res2)

# %%
# A text column is a factor, its first level (sorted, as R) the reference: metafor's
# ``mods = ~ ablat + alloc`` gives ``allocrandom`` -0.2675 (se 0.3504) and ``allocsystematic``
# 0.0585 (se 0.3795), QM(df = 3) = 11.0605.
res3 = rma("yi", "vi", mods="~ ablat + alloc", data=dat)
print(res3.to_frame().round(4))

# %%
# Predicted risk ratios at latitudes 10, 30, 50:
# ``predict(res2, newmods = c(10, 30, 50), transf = exp)``.  metafor::
#
#         pred  ci.lb  ci.ub  pi.lb  pi.ub
#     1 0.9612 0.6668 1.3857 0.5000 1.8478
#     2 0.5371 0.4355 0.6623 0.3005 0.9600
#     3 0.3001 0.2144 0.4201 0.1586 0.5678
pred = predict(res2, np.array([10.0, 30.0, 50.0]), transf=np.exp)
print(pred.to_frame().round(4))

# %%
# With a formula fit, new moderator values may be given as the formula's variables
# (``newdata``), factors by their levels, coded as the fit coded the data -- the same as
# metafor's ``predict(res3, newmods = rbind(c(10, 1, 0), c(30, 0, 1)), transf = exp)``.
new = pd.DataFrame({"ablat": [10, 30], "alloc": ["random", "systematic"]})
print(predict(res3, newdata=new, transf=np.exp).to_frame().round(4))

# %%
# The forest plot of the random-effects model: a log axis labelled in risk ratios, as metafor's
# ``forest(res, atransf = exp)``; the labels are the ``slab`` given to ``escalc``.  metafor
# writes ``0.41 [0.13, 1.26]`` for Aronson 1948 and ``0.49 [0.34, 0.70]`` for the RE model.
fig = forest(res, atransf=np.exp, xlab="Risk Ratio (log scale)")

# %%
# The funnel plot, contour-enhanced at 90, 95 and 99 % (metafor:
# ``funnel(res, level = c(90, 95, 99), refline = 0)`` draws the contours around 0).
fig = funnel(res, contours=[90, 95, 99])
