"""The report's section model: a report is a list of :class:`Section` objects (title,
paragraphs, lists, tables, figures) built by the functions in
:data:`evsynth.present.sections.SECTIONS`; :mod:`evsynth.present.html` and
:mod:`evsynth.present.pdf` only lay that list out, so every sentence exists once and the two
editions say the same.

Every number shown is a :class:`Num`, which tags it in the HTML with a ``data-src`` attribute
naming table, row and column, so tests can check each number against its table.  Every
string from data is escaped (text is built with :func:`M`, i.e. ``markupsafe`` formatting,
and Jinja2 autoescaping)."""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from evsynth.present.i18n import _, number
from evsynth.texts import column_label

__all__ = [
    "M",
    "Num",
    "Text",
    "Items",
    "TableBlock",
    "Figure",
    "Preformatted",
    "Links",
    "Section",
    "plain_text",
    "without_empty_columns",
    "has_content",
]


def M(fmt: str, *args, **kwargs) -> Markup:
    """Text of the report: ``fmt`` is trusted markup (``<i>``, ``<b>``, ``<code>`` only),
    arguments are escaped unless they are markup themselves (a :class:`Num` is tagged)."""
    return Markup(fmt).format(*args, **kwargs)


@dataclass
class Num:
    value: object
    table: str
    col: str
    row: int
    digits: int = 2
    pct: bool = False
    p: bool = False

    @property
    def v(self) -> float:
        try:
            return float(self.value)
        except (TypeError, ValueError):
            return float("nan")

    def text(self) -> str:
        """The value as the reader reads it, in the notation of the report's language."""
        x = self.v
        if self.value is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        if self.p:
            return f"< {number(0.001, 3)}" if x < 0.001 else number(x, 3)
        if self.pct:
            return f"{number(x, max(0, self.digits - 1))}%"
        if float(x).is_integer() and self.digits == 0:
            return f"{int(x)}"
        return number(x, self.digits)

    def __html__(self) -> str:
        src = html.escape(json.dumps([self.table, self.col, self.row]), quote=True)
        return Markup(
            f'<span class="num" data-src="{src}" data-digits="{self.digits}">{html.escape(self.text())}</span>'
        )

    def __str__(self) -> str:
        return self.text()


@dataclass
class Text:
    """A paragraph; ``lead`` is a bold opening (e.g. "What was asked."), ``style`` is
    ``body``, ``note`` (small print) or ``italic``."""

    text: Markup
    lead: str = ""
    style: str = "body"


@dataclass
class Items:
    """A bulleted list; ``notes`` are further items shown as small print."""

    items: list[Markup]
    notes: list[Markup] = field(default_factory=list)
    details: list = field(default_factory=list)  # per item: more shown on a click (HTML <details>), or ""
    summary: str = ""  # the label of the <details> (HTML only; the PDF leaves the details out)


@dataclass
class TableBlock:
    """A table: ``columns`` are (key, heading) pairs, ``rows`` dicts of cell values
    (strings, :class:`Num` or markup)."""

    columns: list[tuple[str, str]]
    rows: list[dict]
    heading: str = ""
    anchor: str = ""  # key of each row's HTML anchor (``<tr id=...>``), so that text can link to a row
    repeat_header: bool = True  # PDF: the heading row again on each page (off for tables read as text)

    @classmethod
    def of(cls, records: list[dict], columns=None, headings: dict | None = None, heading: str = "") -> "TableBlock":
        keys = columns or (list(records[0].keys()) if records else [])
        return cls([(k, (headings or {}).get(k) or _(column_label(k))) for k in keys], records, heading)


@dataclass
class Figure:
    path: Path
    caption: str


@dataclass
class Preformatted:
    """Fixed-width text (a metafor-style model summary), folded in the HTML edition."""

    text: str
    summary: str


@dataclass
class Links:
    """Links to files beside the report (HTML edition only); ``base`` is the way from the page to
    the folder the paths start in (``../`` for an edition in a language folder)."""

    hrefs: list[str]
    base: str = ""


@dataclass
class Section:
    """A titled part of the report; ``level`` 2 sections are chapters (listed in the
    navigation, a new page in the PDF when ``new_page``), level 3 are sub-headings.
    ``editions`` says where it appears; ``boxed`` draws it as the highlighted summary."""

    id: str
    title: str
    blocks: list = field(default_factory=list)
    level: int = 2
    editions: tuple = ("html", "pdf")
    boxed: bool = False
    new_page: bool = False
    nav: str = ""  # short name in the HTML navigation (default: the title)
    part: str = "main"  # "main" (the report) or "appendix" (the technical appendix: its own HTML page and PDF)


NUM_SPAN = re.compile(r'<span class="num"[^>]*>(.*?)</span>')


def plain_text(markup) -> str:
    """The words of a piece of report text, without markup (what a reader of either
    edition reads)."""
    return html.unescape(re.sub(r"<[^>]+>", "", NUM_SPAN.sub(r"\1", str(markup))))


def without_empty_columns(block: TableBlock) -> list:
    """The table without the columns that are empty in every row, and a note naming them
    (what the source does not report, or a model does not give), instead of a column of blanks."""
    if not block.rows:
        return [block]
    empty = [
        (k, h)
        for k, h in block.columns
        if all(not plain_text(M("{}", r.get(k) if r.get(k) is not None else "")).strip() for r in block.rows)
    ]
    if not empty:
        return [block]
    block.columns = [c for c in block.columns if c not in empty]
    names = ", ".join(f"\u201c{plain_text(M('{}', h))}\u201d" for _, h in empty)
    return [block, Text(M(_("Not shown, empty in every row: {}."), names), style="note")]


def has_content(s: Section) -> bool:
    """A section shows something: a paragraph with words, a list with items, a table with
    rows, a figure whose file exists, or any other block."""
    for b in s.blocks:
        if isinstance(b, Text):
            if b.lead or plain_text(b.text).strip():
                return True
        elif isinstance(b, Items):
            if b.items or b.notes:
                return True
        elif isinstance(b, TableBlock):
            if b.rows:
                return True
        elif isinstance(b, Figure):
            if Path(b.path).exists():
                return True
        else:
            return True
    return False
