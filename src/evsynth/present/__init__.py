"""The presentation layer.

Owns figures (``plots``, ``figures``, ``style``) and the report: ``document`` (the section
model), ``context`` (reading result tables into the report's context), ``sections/`` (one
module per block of the report, ``SECTIONS`` in its ``__init__``), ``labels`` (what a reader
sees instead of internal names), ``html`` and ``pdf`` (the two editions, laid out from one list
of sections) and ``report`` (joins them).  It reads result tables written by the pipeline and
computes no statistics: it never imports the engine, the review layer or scipy, only
``evsynth.pipeline.io`` (reading tables), ``evsynth.outputs`` (atomic writing),
``evsynth.errors`` and ``evsynth.texts``.  What a figure needs (a prediction line, a critical
value, contour levels) is written as a table by the fit stage (``evsynth.pipeline.figdata``).
"""
