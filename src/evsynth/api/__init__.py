"""The researcher's front end: metafor's verbs on data frames, with R-style formulas, and
metafor's plotting verbs.

Owns ``escalc(measure, ai="tpos", ..., data=df)`` (the data frame with ``yi``, ``vi``
added), ``rma("yi", "vi", mods="~ ablat + alloc", data=df)``, ``rma_mv(..., random="~ 1 |
district/school", data=df)``, ``robust(fit, cluster="district")`` and ``predict(fit,
newdata=df)`` (the column names and
formulas are resolved here, through formulaic, into the arrays and names the engine takes),
and the plotting verbs ``forest``, ``funnel``, ``baujat``, ``labbe``, ``radial``,
``plot_influence`` and ``gosh`` (each draws a fit on a matplotlib Figure).

Modules: ``columns`` (names and expressions of columns as checked arrays), ``formulas``
(formulaic model matrices, factors, metafor's coefficient names), ``frames`` (the verbs),
``plots`` (the plotting verbs).

It sits above ``evsynth.engine`` (it computes no statistic the engine does not) and below
``evsynth.pipeline``; it may import the engine, ``evsynth.errors`` and itself.  pandas,
formulaic and matplotlib are imported inside the functions that need them, so that
``from evsynth import rma`` stays as light as the engine for array input.
"""

from evsynth.api.frames import escalc, predict, rma, rma_mv, robust
from evsynth.api.plots import baujat, forest, funnel, gosh, labbe, plot_influence, radial, regplot

__all__ = [
    "escalc",
    "rma",
    "rma_mv",
    "robust",
    "predict",
    "forest",
    "funnel",
    "regplot",
    "baujat",
    "labbe",
    "radial",
    "plot_influence",
    "gosh",
]
