"""``python -m evsynth`` runs the command line."""

from evsynth.pipeline.cli import main

raise SystemExit(main())
