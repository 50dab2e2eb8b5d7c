"""Former home of the multilevel diagnostics, now :func:`evsynth.engine.casedeletion.influence_mv`
(case deletion), :func:`evsynth.engine.mvprofile.confint_mv` (profile-likelihood intervals) and
:func:`evsynth.engine.predict.ranef_mv` (predicted random effects).  Kept, with the names it
exported, so that code written against ``evsynth.engine.mvdiag`` keeps importing; new code
imports the verbs from :mod:`evsynth.engine`."""

from evsynth.engine.casedeletion import InfluenceMVResult, influence_mv
from evsynth.engine.mvprofile import ConfintMVResult, confint_mv
from evsynth.engine.predict import RanefMVResult, ranef_mv

__all__ = ["InfluenceMVResult", "influence_mv", "ConfintMVResult", "confint_mv", "RanefMVResult", "ranef_mv"]
