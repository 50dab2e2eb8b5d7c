"""The presentation layer.

Owns figures (``plots``, ``figures``, ``style``) and the report (``report`` and its
templates: one list of sections, rendered as HTML and as PDF; ``evidence`` builds the
sections of the GRADE Summary of Findings, the published estimates and the neighbouring
fields).  It reads result tables
written by the pipeline and computes no statistics: it never imports the engine, the
review layer or scipy, only ``evsynth.pipeline.io`` (reading tables), ``evsynth.outputs`` (atomic writing),
``evsynth.errors`` and ``evsynth.texts``.  What a figure needs (a prediction line, a
critical value, contour levels) is written as a table by the fit stage
(``evsynth.pipeline.figdata``).
"""
