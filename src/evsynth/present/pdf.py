"""The PDF edition: the report's sections laid out with reportlab in invariant mode (the same
inputs give the same bytes)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from evsynth.errors import EvsynthError, clean_text
from evsynth.present.document import NUM_SPAN, M, Figure, Items, Preformatted, Section, TableBlock, Text, plain_text

__all__ = ["render_pdf", "PDF_TABLE_FONTS", "PDF_CELL_MAX"]


def _pdf_markup(markup) -> str:
    """Report text in reportlab's paragraph markup: number tags dropped, ``<code>`` in a
    fixed-width font, ``<b>``/``<i>`` kept, everything else escaped as XML."""
    s = re.sub(r"</?(?:a|span)(?:\s[^>]*)?>", "", NUM_SPAN.sub(r"\1", str(markup)))  # links, spans: their text only
    out = []
    for part in re.split(r"(</?(?:b|i|code)>)", s):
        if part in ("<b>", "</b>", "<i>", "</i>"):
            out.append(part)
        elif part == "<code>":
            out.append('<font face="DejaVuMono">')
        elif part == "</code>":
            out.append("</font>")
        else:
            out.append(html.escape(html.unescape(part), quote=False))
    return "".join(out)


def _register_fonts() -> None:
    """DejaVu (shipped with matplotlib) so that ², ≥, π and √ print as in the HTML."""
    import matplotlib
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVu" in pdfmetrics.getRegisteredFontNames():
        return
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in (
        ("DejaVu", "DejaVuSans.ttf"),
        ("DejaVu-Bold", "DejaVuSans-Bold.ttf"),
        ("DejaVu-Oblique", "DejaVuSans-Oblique.ttf"),
        ("DejaVu-BoldOblique", "DejaVuSans-BoldOblique.ttf"),
        ("DejaVuMono", "DejaVuSansMono.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
    addMapping("DejaVu", 0, 0, "DejaVu")
    addMapping("DejaVu", 1, 0, "DejaVu-Bold")
    addMapping("DejaVu", 0, 1, "DejaVu-Oblique")
    addMapping("DejaVu", 1, 1, "DejaVu-BoldOblique")


PDF_CELL_PAD = 6  # points either side of a PDF table cell's text (reportlab's default)
PDF_CELL_PAD_WIDE = 3  # the same for tables that need a smaller font
PDF_CELL_MAX = 600  # characters of one PDF table cell; longer text is cut with a note
PDF_TABLE_FONTS = (6.5, 6, 5.5)  # font sizes (pt) tried for a table, largest first
PDF_KEEP = 80  # points of what follows a heading that must fit on its page (else the heading moves on)


def _pdf_cell(text: str) -> str:
    text = clean_text(text)
    if len(text) <= PDF_CELL_MAX:
        return text
    return f"{text[:PDF_CELL_MAX]}... [cut: {len(text):,} characters; the full text is in the HTML report and the results table]"


def _pdf_column_widths(heads: list[str], body: list[list[str]], room: float, measure, pad: float):
    """Column widths (points) for a table of ``room`` points, or None when its words do not fit.

    A column is at least as wide as its longest word (so no word is broken inside a cell) and
    at most as wide as its longest cell; the room left over is shared in proportion to how much
    more each column could use.  ``measure(text)`` is the width of a text at the table's font.
    Words wider than half the room (a pasted URL, hostile input) are allowed to break."""
    cols = list(zip(heads, *body))
    least = [min(max((measure(w) for v in c for w in v.split()), default=0), room / 2) + 2 * pad + 1 for c in cols]
    most = [max(max((measure(v) for v in c), default=0) + 2 * pad + 1, n) for c, n in zip(cols, least)]
    if sum(least) > room:
        return None
    if sum(most) <= room:
        extra = room - sum(most)
        return [m + extra * m / sum(most) for m in most]
    spare = sum(m - n for m, n in zip(most, least))
    return [n + (room - sum(least)) * (m - n) / spare for m, n in zip(most, least)]


def _pdf_table_layout(heads: list[str], body: list[list[str]], portrait: float, landscape: float, measure):
    """How a table is laid out in the PDF: ``(page, font size, padding, [(column indices,
    widths), ...])`` -- portrait at the largest font whose words fit, else landscape, else the
    columns split into several tables on landscape pages, each repeating the first (key) column."""
    for page, room in (("portrait", portrait), ("landscape", landscape)):
        for size in PDF_TABLE_FONTS:
            pad = PDF_CELL_PAD if size == PDF_TABLE_FONTS[0] else PDF_CELL_PAD_WIDE
            w = _pdf_column_widths(heads, body, room, lambda t: measure(t, size), pad)
            if w is not None:
                return page, size, pad, [(list(range(len(heads))), w)]
    size, pad = PDF_TABLE_FONTS[-1], PDF_CELL_PAD_WIDE
    parts, cur = [], [0]
    for j in range(1, len(heads)):
        trial = cur + [j]
        if (
            len(cur) > 1
            and _pdf_column_widths(
                [heads[i] for i in trial],
                [[r[i] for i in trial] for r in body],
                landscape,
                lambda t: measure(t, size),
                pad,
            )
            is None
        ):
            parts.append(cur)
            cur = [0, j]
        else:
            cur = trial
    parts.append(cur)
    out = []
    for idx in parts:
        w = _pdf_column_widths(
            [heads[i] for i in idx], [[r[i] for i in idx] for r in body], landscape, lambda t: measure(t, size), pad
        )
        out.append((idx, w or [landscape / len(idx)] * len(idx)))
    return "landscape", size, pad, out


def render_pdf(ctx: dict, sections: list[Section]) -> bytes:
    """The PDF edition of the same sections, built with reportlab in invariant mode so
    that the same inputs give the same bytes.

    Laid out for reading: table columns at least as wide as their longest word (a smaller
    font, a landscape page or the columns split over several tables when a table is wide),
    the heading row repeated on each page of a long table, a heading never last on a page
    (kept with the start of what follows it), figures scaled to fit a page (long forests
    come as several pages from the figures stage)."""
    import io

    from reportlab import rl_config

    rl_config.invariant = 1
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        BaseDocTemplate,
        CondPageBreak,
        Frame,
        Image,
        KeepTogether,
        ListFlowable,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
        Preformatted as Pre,
        Spacer,
        Table,
        TableStyle,
    )
    from reportlab.platypus.doctemplate import LayoutError

    _register_fonts()
    ss = getSampleStyleSheet()
    for st in ss.byName.values():
        if hasattr(st, "fontName"):
            st.fontName = {
                "Helvetica-Bold": "DejaVu-Bold",
                "Helvetica-Oblique": "DejaVu-Oblique",
                "Helvetica-BoldOblique": "DejaVu-BoldOblique",
                "Courier": "DejaVuMono",
            }.get(st.fontName, "DejaVu")
    styles = {
        "body": ss["BodyText"],
        "note": ss["BodyText"].clone("note", fontSize=8, leading=10, textColor=colors.HexColor("#555555")),
        "italic": ss["Italic"],
    }
    mono = ss["Code"].clone("mono", fontSize=6, leading=7)
    buf = io.BytesIO()
    margin, wide_margin = 1.5 * cm, 1.0 * cm
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        title=ctx["title"],
        author="evsynth",
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
    )
    bare = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}  # frames as wide as `width`
    doc.addPageTemplates(
        [
            PageTemplate(
                "portrait", [Frame(margin, margin, A4[0] - 2 * margin, A4[1] - 2 * margin, id="p", **bare)], pagesize=A4
            ),
            PageTemplate(
                "landscape",
                [Frame(wide_margin, wide_margin, A4[1] - 2 * wide_margin, A4[0] - 2 * wide_margin, id="l", **bare)],
                pagesize=landscape(A4),
            ),
        ]
    )
    width, page_height = A4[0] - 2 * margin, A4[1] - 2 * margin
    wide, wide_height = A4[1] - 2 * wide_margin, A4[0] - 2 * wide_margin
    story: list = [Paragraph(_pdf_markup(M("{}", ctx["title"])), ss["Title"])]
    scratch = Canvas(io.BytesIO(), pagesize=A4)

    def measure(text, size):
        return stringWidth(text, "DejaVu", size)

    def table(block: TableBlock):
        """The table's flowables and whether they go on landscape pages."""
        heads = [h for _, h in block.columns]
        body = [
            [_pdf_cell(plain_text(M("{}", r.get(k, ""))).replace(";", "; ")) for k, _ in block.columns]
            for r in block.rows
        ]
        page, size, pad, parts = _pdf_table_layout(heads, body, width, wide, measure)
        cell = ss["BodyText"].clone(f"cell{size}", fontSize=size, leading=size + 1.2, splitLongWords=1)
        out = []
        for n, (idx, widths) in enumerate(parts, 1):
            if len(parts) > 1:
                out.append(
                    Paragraph(
                        _pdf_markup(M("Columns, part {} of {} (the first column repeated):", n, len(parts))),
                        styles["note"],
                    )
                )
            data = [[Paragraph(html.escape(heads[i], quote=False), cell) for i in idx]]
            data += [[Paragraph(html.escape(row[i], quote=False), cell) for i in idx] for row in body]
            t = Table(data, colWidths=widths, repeatRows=1 if block.repeat_header else 0)
            t.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), pad),
                        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ]
                )
            )
            out += [t, Spacer(1, 6)]
        return out, page == "landscape"

    def figure(block: Figure):
        """The figure with its caption on one page, on a landscape page when it prints larger there
        (wide forests: their text keeps a readable size)."""
        if not block.path.exists():
            return [], False
        iw, ih = ImageReader(str(block.path)).getSize()
        sized = {}
        for orient, (fw, fh) in (("portrait", (width, page_height)), ("landscape", (wide, wide_height))):
            cap = Paragraph(_pdf_markup(M("{}", block.caption)), styles["italic"])
            room = fh - cap.wrap(fw, fh)[1] - 2 * 8  # the image and its caption on one page
            w = min(fw, room * iw / ih)
            sized[orient] = (w, cap)
        orient = "landscape" if sized["landscape"][0] > 1.1 * sized["portrait"][0] else "portrait"
        w, cap = sized[orient]
        return [
            KeepTogether([Image(str(block.path), width=w, height=w * ih / iw), cap]),
            Spacer(1, 8),
        ], orient == "landscape"

    def heading(s: Section):
        return Paragraph(_pdf_markup(M("{}", s.title)), ss["Heading2" if s.level == 2 else "Heading3"])

    def keep_with_next(flows: list, after: list, width: float) -> list:
        """Heading(s) never last on a page: a page break first unless the heading(s) and the
        start of what follows (all of it when it cannot be split, e.g. a figure) fit."""
        if not after:
            return flows

        def height(f):  # measured on a scratch canvas (some flowables need one to wrap)
            f.canv = scratch
            try:
                return f.wrap(width, page_height)[1] + f.getSpaceBefore() + f.getSpaceAfter()
            finally:
                del f.canv

        need = sum(height(f) for f in flows)
        first = after[0]
        if isinstance(first, KeepTogether):  # a figure and its caption: all of it
            need += height(first)
        elif isinstance(first, Table):  # a table splits between rows: its heading row and first row
            height(first)
            need += min(sum(first._rowHeights[:2]), page_height / 2)
        else:
            need += min(height(first), PDF_KEEP)
        return [CondPageBreak(need)] + flows

    pending: list = []  # headings waiting for their first block
    current = "portrait"

    def turn(orient: str) -> None:
        """Continue on a new page of the other orientation (the page just begun, if any)."""
        nonlocal current
        if orient == current:
            return
        if isinstance(story[-1], PageBreak):
            story.insert(len(story) - 1, NextPageTemplate(orient))
        else:
            story.extend([NextPageTemplate(orient), PageBreak()])
        current = orient

    for s in sections:
        if "pdf" not in s.editions:
            continue
        if s.new_page and not isinstance(story[-1], PageBreak):
            story.append(PageBreak())
        pending.append(heading(s))
        for b in s.blocks:
            flows, turned = [], False
            if isinstance(b, Text):
                lead = M("<b>{}</b> ", b.lead) if b.lead else ""
                if b.lead or str(b.text):
                    flows = [Paragraph(_pdf_markup(lead + b.text), styles[b.style])]
            elif isinstance(b, Items):
                paras = [Paragraph(_pdf_markup(i), styles["body"]) for i in b.items]
                paras += [Paragraph(_pdf_markup(n), styles["note"]) for n in b.notes]
                if paras:
                    flows = [ListFlowable(paras, bulletType="bullet", start="•", leftIndent=12)]
            elif isinstance(b, TableBlock):
                flows, turned = table(b) if b.rows else ([], False)
            elif isinstance(b, Figure):
                flows, turned = figure(b)
            elif isinstance(b, Preformatted):
                flows = [Pre(b.text, mono)]
            if not flows:
                continue
            turn("landscape" if turned else "portrait")  # a heading goes with the block it opens
            story.extend((keep_with_next(pending, flows, wide if turned else width) if pending else []) + flows)
            pending = []
        # a section without blocks: its heading waits for the next section's first block
    story += pending
    try:
        doc.build(story)
    except LayoutError as exc:
        raise EvsynthError(
            f"the PDF report cannot be laid out ({clean_text(str(exc))[:200]}); nothing was written"
        ) from None
    return buf.getvalue()
