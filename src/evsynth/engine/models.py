"""Former home of the univariate model, split into :mod:`evsynth.engine.estimators` (tau^2
estimators), :mod:`evsynth.engine.rma_uni` (the fit and its result, subgroups) and
:mod:`evsynth.engine.qprofile` (Q-profile intervals).  Kept, with the names it exported,
so that code written against ``evsynth.engine.models`` keeps importing; new code imports
the verbs from :mod:`evsynth.engine`."""

from evsynth.engine.checks import check_effects
from evsynth.engine.estimators import METHODS, estimate_tau2
from evsynth.engine.qprofile import ConfintResult, confint_tau2
from evsynth.engine.rma_uni import TESTS, RMAResult, SubgroupResult, rma, subgroup

__all__ = [
    "METHODS",
    "TESTS",
    "RMAResult",
    "ConfintResult",
    "SubgroupResult",
    "rma",
    "estimate_tau2",
    "confint_tau2",
    "subgroup",
    "check_effects",
]
