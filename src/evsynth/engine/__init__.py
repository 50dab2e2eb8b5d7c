"""The meta-analysis engine.

Owns effect sizes (``escalc`` and conversions), design matrices, the univariate model
(``rma``: nine tau^2 estimators, z and Knapp-Hartung tests, meta-regression, subgroups,
Q-profile CIs), the multilevel model (``rma_mv``), cluster-robust inference (``robust``),
diagnostics (``regtest``, ``trimfill``, ``leave1out``, ``influence``, ``permutest``, ...)
and the results protocol every fit and diagnostic follows (``results``: named fields,
``summary()``, ``to_frame()``, one coefficient block and one Wald test for every model).
It may import numpy, scipy and ``evsynth.errors`` only; pandas is imported lazily inside
``to_frame()``.  Nothing here reads files, knows the config or draws.

The verbs are imported from this package (``from evsynth.engine import rma, regtest``);
``VERBS`` maps each to the module that owns it (the module map is in ``docs/engine.md``).
Several modules carry the name of their verb (``robust``, ``selmodel``, ``fitstats``,
``predict``): after ``import evsynth.engine`` the package attribute is the verb, so import
such a module with ``from evsynth.engine import robust as ...`` only for the verb, and
``importlib.import_module("evsynth.engine.robust")`` for the module.
"""

from evsynth.engine.effects import escalc
from evsynth.engine.rma_uni import rma, subgroup
from evsynth.engine.qprofile import confint_tau2
from evsynth.engine.batch import rma_batch
from evsynth.engine.multilevel import rma_mv
from evsynth.engine.mvblocks import vcalc
from evsynth.engine.robust import robust
from evsynth.engine.pubbias import fsn, pet_peese, ranktest, regtest, trimfill
from evsynth.engine.casedeletion import cumul, influence, influence_mv, leave1out
from evsynth.engine.permutation import permutest
from evsynth.engine.mh import rma_mh, rma_peto
from evsynth.engine.fitstats import anova, fitstats
from evsynth.engine.predict import blup, predict, ranef
from evsynth.engine.mvprofile import confint_mv
from evsynth.engine.selmodel import selmodel

# verb -> the module that owns it
VERBS = {
    "escalc": "effects",
    "rma": "rma_uni",
    "subgroup": "rma_uni",
    "confint_tau2": "qprofile",
    "rma_batch": "batch",
    "rma_mv": "multilevel",
    "vcalc": "mvblocks",
    "robust": "robust",
    "regtest": "pubbias",
    "ranktest": "pubbias",
    "trimfill": "pubbias",
    "fsn": "pubbias",
    "pet_peese": "pubbias",
    "leave1out": "casedeletion",
    "influence": "casedeletion",
    "cumul": "casedeletion",
    "permutest": "permutation",
    "rma_mh": "mh",
    "rma_peto": "mh",
    "fitstats": "fitstats",
    "anova": "fitstats",
    "predict": "predict",
    "blup": "predict",
    "ranef": "predict",
    "influence_mv": "casedeletion",
    "confint_mv": "mvprofile",
    "selmodel": "selmodel",
}

__all__ = [
    "anova",
    "blup",
    "confint_mv",
    "confint_tau2",
    "cumul",
    "escalc",
    "fitstats",
    "fsn",
    "influence",
    "influence_mv",
    "leave1out",
    "permutest",
    "pet_peese",
    "predict",
    "ranef",
    "ranktest",
    "regtest",
    "rma",
    "rma_batch",
    "rma_mh",
    "rma_mv",
    "rma_peto",
    "robust",
    "selmodel",
    "subgroup",
    "trimfill",
    "vcalc",
]
