"""
Schools within districts: a three-level model with ``random = ~ 1 | district/school``
=====================================================================================

metafor's ``dat.konstantopoulos2011`` (Konstantopoulos 2011): 56 standardised mean
differences from schools nested in 11 districts.  The multilevel model with metafor's
``random`` formula, then cluster-robust (CR2) inference by district, as
``robust(res, cluster = district, clubSandwich = TRUE)``.  metafor's numbers (3.8.1) beside
evsynth's.
"""

# %%
from pathlib import Path

import pandas as pd

from evsynth import forest, rma_mv, robust

try:
    ROOT = Path(__file__).resolve().parents[2]
except NameError:
    ROOT = Path.cwd().resolve().parents[1]
dat = pd.read_csv(ROOT / "tests" / "r" / "dat_konstantopoulos2011.csv")

# %%
# ``rma.mv(yi, vi, random = ~ 1 | district/school, data = dat)``.  metafor::
#
#                 estim    sqrt  nlvls  fixed           factor
#     sigma^2.1  0.0651  0.2551     11     no         district
#     sigma^2.2  0.0327  0.1809     56     no  district/school
#     Q(df = 55) = 578.8640, p-val < .0001
#     estimate      se    zval    pval   ci.lb   ci.ub
#       0.1847  0.0846  2.1845  0.0289  0.0190  0.3504
res = rma_mv("yi", "vi", random="~ 1 | district/school", data=dat)
print(res)

# %%
# The list form names each factor on its own (``list(~ 1 | district, ~ 1 | study)``; the
# study ids are unique, so this is the same model):
res_list = rma_mv("yi", "vi", random=["~ 1 | district", "~ 1 | study"], data=dat)
print(pd.DataFrame({"component": res_list.s_names, "sigma2": res_list.sigma2}).round(4))

# %%
# Cluster-robust inference by district.  metafor::
#
#     estimate      se¹    tval¹    df¹    pval¹    ci.lb¹   ci.ub¹
#       0.1847  0.0845   2.1870   9.86   0.0540   -0.0038   0.3733
rob = robust(res, cluster="district")
print(rob)

# %%
# The forest plot of the 56 estimates with the pooled diamond.
fig = forest(res, annotate=False)
