"""evsynth: evidence synthesis and meta-analysis.

The user-facing verbs carry metafor's names and are importable from the top level::

    from evsynth import escalc, rma, rma_mv, robust, confint_tau2, regtest, trimfill, forest

``escalc``, ``rma``, ``rma_mv``, ``robust`` and ``predict`` are the front ends of ``evsynth.api``: they take
arrays as the engine does, or column names and R-style formulas with ``data=`` (a data frame);
the plotting verbs (``forest``, ``funnel``, ...) are ``evsynth.api``'s too.  The engine's own
verbs stay importable from ``evsynth.engine`` (``from evsynth.engine import rma``).

Layers (each a subpackage; see its docstring): ``evsynth.engine`` (the statistics),
``evsynth.review`` (coded studies, quality, PRISMA, extraction), ``evsynth.pipeline``
(config, input checks, io, stages, command line), ``evsynth.api`` (data frames, formulas,
plotting verbs), ``evsynth.present`` (figures and report) and ``evsynth.conformance`` (the
metafor reference cases).
"""

__version__ = "0.1.0"

# every verb of the engine -> the package that exports it (evsynth.engine; evsynth.engine.VERBS
# names the module that owns it).  The front ends of evsynth.api call these.
ENGINE_VERBS = {
    name: "evsynth.engine"
    for name in (
        "escalc",
        "rma",
        "confint_tau2",
        "subgroup",
        "rma_batch",
        "rma_mv",
        "robust",
        "regtest",
        "ranktest",
        "trimfill",
        "fsn",
        "leave1out",
        "influence",
        "cumul",
        "pet_peese",
        "permutest",
        "rma_mh",
        "rma_peto",
        "fitstats",
        "anova",
        "predict",
        "blup",
        "ranef",
        "vcalc",
        "influence_mv",
        "confint_mv",
        "selmodel",
    )
}

# verbs whose top-level name is evsynth.api's: the data-frame front ends and the plotting verbs
FRONT_ENDS = (
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
)

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
