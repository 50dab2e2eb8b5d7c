"""The list of result tables (HTML only)."""

from __future__ import annotations

from evsynth.present.document import Links, Section

__all__ = ["appendix_section"]


def appendix_section(ctx: dict) -> list[Section]:
    return [Section("tables", "Appendix: results tables", [Links(ctx["tables"])], editions=("html",), nav="Tables")]
