"""evsynth: evidence synthesis and meta-analysis.

The user-facing verbs carry metafor's names and are importable from the top level::

    from evsynth import escalc, rma, rma_mv, robust, confint_tau2, regtest, trimfill

Layers (each a subpackage; see its docstring): ``evsynth.engine`` (the statistics),
``evsynth.review`` (coded studies, quality, PRISMA, extraction), ``evsynth.pipeline``
(config, input checks, io, stages, command line), ``evsynth.present`` (figures and report)
and ``evsynth.conformance`` (the metafor reference cases).
"""
__version__ = "0.1.0"

# every verb lives in evsynth.engine (evsynth.engine.VERBS names the module that owns it)
_VERBS = {name: "evsynth.engine" for name in (
    "escalc", "rma", "confint_tau2", "subgroup", "rma_batch", "rma_mv", "robust", "regtest",
    "ranktest", "trimfill", "fsn", "leave1out", "influence", "cumul", "pet_peese", "permutest",
    "rma_mh", "rma_peto", "fitstats", "anova", "predict", "blup", "ranef", "vcalc", "influence_mv",
    "confint_mv", "selmodel",
)}

__all__ = sorted(_VERBS) + ["__version__"]


def __getattr__(name):  # lazy, so `import evsynth` stays cheap for the command line
    if name in _VERBS:
        import importlib

        return getattr(importlib.import_module(_VERBS[name]), name)
    raise AttributeError(f"module 'evsynth' has no attribute {name!r}")


def __dir__():
    return __all__
