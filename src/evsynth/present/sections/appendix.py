"""The list of result tables (HTML only)."""

from __future__ import annotations

from evsynth.present.document import Links, Section
from evsynth.present.i18n import _, current

__all__ = ["appendix_section"]


def appendix_section(ctx: dict) -> list[Section]:
    base = "" if current() == "en" else "../"  # another language's edition is in a folder below results/
    return [
        Section(
            "tables",
            _("Appendix: results tables"),
            [Links(ctx["tables"], base=base)],
            editions=("html",),
            nav=_("Tables"),
        )
    ]
