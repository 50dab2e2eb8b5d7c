"""The meta-analysis engine.

Owns effect sizes (``escalc`` and conversions), design matrices, the univariate model
(``rma``: nine tau^2 estimators, z and Knapp-Hartung tests, meta-regression, subgroups,
Q-profile CIs), the multilevel model (``rma_mv``), cluster-robust inference (``robust``),
diagnostics (``regtest``, ``trimfill``, ``leave1out``, ``influence``, ``permutest``, ...)
and the results protocol every fit and diagnostic follows (``results``: named fields,
``summary()``, ``to_frame()``, one coefficient block and one Wald test for every model).
It may import numpy, scipy and ``evsynth.errors`` only; pandas is imported lazily inside
``to_frame()``.  Nothing here reads files, knows the config or draws.
"""
