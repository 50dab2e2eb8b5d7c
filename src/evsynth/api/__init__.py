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
``plots`` (the plotting verbs), ``lazy`` (the lazy verb loader this package and the top-level
package share). ``VERBS`` names the module of each verb; they are imported on first use.

It sits above ``evsynth.engine`` (it computes no statistic the engine does not) and below
``evsynth.pipeline``; it may import the engine, ``evsynth.errors`` and itself.  pandas,
formulaic and matplotlib are imported inside the functions that need them, so that
``from evsynth import rma`` stays as light as the engine for array input.
"""

from evsynth.api.lazy import lazy_verbs

# verb -> the module of evsynth.api that owns it (imported on first use)
VERBS = {
    "escalc": "frames",
    "rma": "frames",
    "rma_mv": "frames",
    "robust": "frames",
    "predict": "frames",
    "forest": "plots",
    "funnel": "plots",
    "regplot": "plots",
    "baujat": "plots",
    "labbe": "plots",
    "radial": "plots",
    "plot_influence": "plots",
    "gosh": "plots",
}

__all__ = list(VERBS)

__getattr__ = lazy_verbs(__name__, {name: f"evsynth.api.{module}" for name, module in VERBS.items()})


def __dir__():
    return __all__
