"""The pipeline layer.

Owns the configuration and its validation (``config``), reading and checking input tables
and writing outputs atomically (``io``, ``inputs``), the stage functions that turn inputs
into result tables (``stages``, ``analysis``) and the command line generated from them
(``cli``).  It may use every other layer; Snakemake rules call its command line.
"""
