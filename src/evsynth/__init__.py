"""evsynth: evidence synthesis and meta-analysis.

The user-facing verbs carry metafor's names and are importable from the top level::

    from evsynth import escalc, rma, rma_mv, robust, confint_tau2, regtest, trimfill

Layers (each a subpackage; see its docstring): ``evsynth.engine`` (the statistics),
``evsynth.review`` (coded studies, quality, PRISMA, extraction), ``evsynth.pipeline``
(config, input checks, io, stages, command line), ``evsynth.present`` (figures and report)
and ``evsynth.conformance`` (the metafor reference cases).
"""
__version__ = "0.1.0"

_VERBS = {
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

__all__ = sorted(_VERBS) + ["__version__"]


def __getattr__(name):  # lazy, so `import evsynth` stays cheap for the command line
    if name in _VERBS:
        import importlib

        return getattr(importlib.import_module(_VERBS[name]), name)
    raise AttributeError(f"module 'evsynth' has no attribute {name!r}")


def __dir__():
    return __all__
