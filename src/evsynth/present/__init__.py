"""The presentation layer.

Owns figures (``plots``, ``figures``, ``style``) and the report (``report`` and its
templates).  It reads result tables written by the pipeline and computes no statistics:
it never imports the engine.  What a figure needs (a prediction line, a critical value)
is written as a table by the stage that fits the model.
"""
