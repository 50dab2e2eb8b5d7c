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

from evsynth.api import VERBS as _API_VERBS
from evsynth.api.lazy import lazy_verbs

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

# verbs whose top-level name is evsynth.api's (the data-frame front ends and the plotting verbs:
# evsynth.api.VERBS; that package imports its modules lazily too)
FRONT_ENDS = tuple(_API_VERBS)

__all__ = sorted(set(ENGINE_VERBS) | set(FRONT_ENDS)) + ["__version__"]

# lazy, so `import evsynth` stays cheap for the command line
__getattr__ = lazy_verbs(__name__, {**ENGINE_VERBS, **dict.fromkeys(FRONT_ENDS, "evsynth.api")})


def __dir__():
    return __all__
