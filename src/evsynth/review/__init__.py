"""The review layer.

Owns what a systematic review codes about its studies: the coded study tables and their
summaries (``studies``), the quality form and its scoring (``quality``), the PRISMA flow
(``prisma``), effect-size extraction from reported statistics (``extraction``), outcome
domains (``domains``), moderator design from coded columns (``design``) and the findings
of the source reviews.  Data frames in, data frames out (files are read by the pipeline
layer, ``evsynth.pipeline.inputs``); it may use the engine, ``evsynth.errors`` and
``evsynth.texts``, never the pipeline or presentation.
"""
