"""evsynth: evidence synthesis and meta-analysis.

The user-facing verbs carry metafor's names and are importable from the top level::

    from evsynth import escalc, rma, rma_mv, robust, confint_tau2, regtest, trimfill, forest

``escalc``, ``rma``, ``rma_mv`` and ``robust`` are the front ends of ``evsynth.api``: they take
arrays as the engine does, or column names and R-style formulas with ``data=`` (a data frame);
the plotting verbs (``forest``, ``funnel``, ...) are ``evsynth.api``'s too.  The engine's own
verbs stay importable from the modules ``ENGINE_VERBS`` names.

Layers (each a subpackage; see its docstring): ``evsynth.engine`` (the statistics),
``evsynth.review`` (coded studies, quality, PRISMA, extraction), ``evsynth.pipeline``
(config, input checks, io, stages, command line), ``evsynth.api`` (data frames, formulas, plotting verbs), ``evsynth.present`` (figures and report)
and ``evsynth.conformance`` (the metafor reference cases).
"""
__version__ = "0.1.0"

# every verb of the engine -> the engine module that defines it (the front ends of evsynth.api call
# these; keep the map in step when the engine moves a verb)
ENGINE_VERBS = {
    "escalc": "evsynth.engine.effects",
    "rma": "evsynth.engine.models",
    "confint_tau2": "evsynth.engine.models",
    "subgroup": "evsynth.engine.models",
    "rma_batch": "evsynth.engine.batch",
    "rma_mv": "evsynth.engine.multilevel",
    "robust": "evsynth.engine.robust",
    "regtest": "evsynth.engine.diagnostics",
    "ranktest": "evsynth.engine.diagnostics",
    "trimfill": "evsynth.engine.diagnostics",
    "fsn": "evsynth.engine.diagnostics",
    "leave1out": "evsynth.engine.diagnostics",
    "influence": "evsynth.engine.diagnostics",
    "cumul": "evsynth.engine.diagnostics",
    "pet_peese": "evsynth.engine.diagnostics",
    "permutest": "evsynth.engine.diagnostics",
    "rma_mh": "evsynth.engine.mh",
    "rma_peto": "evsynth.engine.mh",
    "fitstats": "evsynth.engine.fitstats",
    "anova": "evsynth.engine.fitstats",
    "predict": "evsynth.engine.predict",
    "blup": "evsynth.engine.predict",
    "ranef": "evsynth.engine.predict",
    "vcalc": "evsynth.engine.multilevel",
    "influence_mv": "evsynth.engine.mvdiag",
    "confint_mv": "evsynth.engine.mvdiag",
    "selmodel": "evsynth.engine.selmodel",
}

# verbs whose top-level name is evsynth.api's: the data-frame front ends and the plotting verbs
FRONT_ENDS = ("escalc", "rma", "rma_mv", "robust", "forest", "funnel", "baujat", "labbe", "radial",
              "plot_influence", "gosh")

__all__ = sorted(set(ENGINE_VERBS) | set(FRONT_ENDS)) + ["__version__"]


def __getattr__(name):  # lazy, so `import evsynth` stays cheap for the command line
    import importlib

    if name in FRONT_ENDS:
        return getattr(importlib.import_module("evsynth.api"), name)
    if name in ENGINE_VERBS:
        return getattr(importlib.import_module(ENGINE_VERBS[name]), name)
    raise AttributeError(f"module 'evsynth' has no attribute {name!r}")


def __dir__():
    return __all__
