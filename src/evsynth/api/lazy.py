"""The lazy verb loader of a package: its verbs are imported from the module that owns them on
first use (PEP 562), so that importing the package stays cheap (the command line imports
``evsynth`` without numpy, scipy, pandas or matplotlib).

Used by the top-level package (``from evsynth import rma``: the data-frame front ends of
``evsynth.api`` and the engine's verbs) and by ``evsynth.api`` itself (its verbs in
``frames`` and ``plots``)."""

from __future__ import annotations

import importlib

__all__ = ["lazy_verbs"]


def lazy_verbs(package: str, where: dict[str, str]):
    """The module ``__getattr__`` of ``package``: ``where`` maps each verb to the module that
    exports it; another name raises AttributeError as Python does."""

    def __getattr__(name: str):
        if name in where:
            return getattr(importlib.import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
