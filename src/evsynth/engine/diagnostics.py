"""Former home of the univariate diagnostics (split this session into
:mod:`evsynth.engine.pubbias` (regtest, ranktest, trimfill, fsn, pet_peese),
:mod:`evsynth.engine.casedeletion` (leave1out, influence, cumul) and
:mod:`evsynth.engine.permutation` (permutest)).  Kept so that code written against
``evsynth.engine.diagnostics`` keeps importing; new code imports the verbs from
:mod:`evsynth.engine`."""

from evsynth.engine.casedeletion import (
    CumulResult,
    InfluenceResult,
    Leave1outResult,
    RowNumbers,
    cumul,
    influence,
    leave1out,
)
from evsynth.engine.permutation import PermutationResult, permutest
from evsynth.engine.pubbias import (
    REGTEST_PREDICTORS,
    FsnResult,
    PetPeeseResult,
    RanktestResult,
    RegtestResult,
    TrimfillResult,
    fsn,
    pet_peese,
    ranktest,
    regtest,
    trimfill,
)

__all__ = [
    "RegtestResult",
    "regtest",
    "RanktestResult",
    "ranktest",
    "TrimfillResult",
    "trimfill",
    "FsnResult",
    "fsn",
    "Leave1outResult",
    "leave1out",
    "InfluenceResult",
    "influence",
    "CumulResult",
    "cumul",
    "PetPeeseResult",
    "pet_peese",
    "PermutationResult",
    "permutest",
    "RowNumbers",
    "REGTEST_PREDICTORS",
]
