"""
BCG vaccine: Baujat, radial, L'Abbé, influence and GOSH plots
=============================================================

metafor's diagnostic plots of the random-effects model of ``dat.bcg``: ``baujat(res)``,
``radial(res)``, ``labbe(res)``, ``plot(influence(res))`` and ``plot(gosh(res))`` (here over
the 63 subsets of the first six trials).  tests/api/test_plotverbs.py checks the drawn
coordinates against metafor's.
"""

# %%
from pathlib import Path

import pandas as pd

from evsynth import baujat, escalc, gosh, labbe, plot_influence, radial, rma

try:
    ROOT = Path(__file__).resolve().parents[2]
except NameError:
    ROOT = Path.cwd().resolve().parents[1]
bcg = pd.read_csv(ROOT / "tests" / "r" / "dat_bcg.csv")
dat = escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=bcg, slab="author")
res = rma(dat)

# %%
# Baujat: contribution to heterogeneity against influence on the pooled estimate.
fig = baujat(res)
print(pd.DataFrame(fig.baujat).round(4).head())

# %%
# Radial (Galbraith) plot.
fig = radial(res)

# %%
# L'Abbé plot: log risks of the control group (x) against the vaccinated group (y).
fig = labbe(res)

# %%
# Influence diagnostics, metafor's eight panels.
fig = plot_influence(res)

# %%
# GOSH over all subsets of the first six trials.
g = gosh(rma(dat.iloc[:6].reset_index(drop=True)))
print(g.to_frame().describe().round(3))
fig = g.plot()
