"""The coding scripts: they build the coded tables under ``data/`` from the seed texts, the
coders' sheets and the copied source files.  Run from the project root as
``python -m coding.<folder>.<script>``; ``python -m coding.rebuild`` (``make coding``) runs them
all in order.  Not part of the installed ``evsynth`` package: ``coding`` imports ``evsynth``,
``evsynth`` never imports ``coding``.  What makes which table: coding/README.md."""
