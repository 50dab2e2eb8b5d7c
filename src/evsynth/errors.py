"""Exceptions that the command line turns into one clear message and a non-zero exit."""

from __future__ import annotations


class EvsynthError(Exception):
    """Base class for every error evsynth reports to the user without a traceback."""


class InputError(EvsynthError, ValueError):
    """Bad input data or arguments: the message names what was found and what is allowed."""


class ModelError(EvsynthError, ValueError):
    """A model that cannot be fitted as asked (too few studies, singular design, ...)."""


class ConvergenceError(ModelError):
    """An iterative estimator did not converge."""


class ConfigError(EvsynthError):
    """A broken configuration file."""


MAX_LISTED = 50


class TableProblems(InputError):
    """All problems found in one file; ``str()`` lists one per line (at most ``MAX_LISTED``)."""

    def __init__(self, path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        shown = problems[:MAX_LISTED]
        more = f"\n... and {len(problems) - MAX_LISTED} more problem(s)" if len(problems) > MAX_LISTED else ""
        super().__init__("\n".join(shown) + more)
