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


# ------------------------------------------------------------------ quoting data in messages

import re as _re

QUOTE_MAX = 40
_ANSI = _re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = _re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """``text`` with terminal escape sequences and control characters removed (newlines and
    tabs kept): what may reach a terminal or a log."""
    return _CONTROL.sub("", _ANSI.sub("", str(text)))


def quote(value, limit: int = QUOTE_MAX) -> str:
    """A data value as messages show it: quoted, escape sequences and control characters
    removed, newlines and tabs shown as spaces, at most ``limit`` characters (longer values
    end in '...' and say how long they were).  Every message that quotes data uses this."""
    import numbers

    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return repr(int(value)) if isinstance(value, numbers.Integral) else repr(float(value))
    s = clean_text(str(value)).replace("\n", " ").replace("\r", " ").replace("\t", " ")
    if len(s) > limit:
        s = f"{s[:limit]}... ({len(str(value))} characters)"
    return "'" + s.replace("'", "\u2019") + "'"
