"""The pipeline layer.

Owns the configuration and its validation (``config``), reading and checking input tables
and writing outputs atomically (``io``, ``inputs``), the stage functions that turn inputs
into result tables (every ``run_*`` in ``stages``, with ``analysis`` and ``figdata``), the
stage registry ``stages.STAGES`` and the command line generated from it (``cli``).  It may
use every other layer; Snakemake rules call its command line.
"""
