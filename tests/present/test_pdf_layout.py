"""The PDF renderer's layout rules (issue 17 item 3) on constructed sections, read back with
poppler's ``pdftotext`` and ``pdfinfo``: columns never narrower than their longest word, wide
tables on landscape pages or split with the key column repeated, the heading row on every page
of a long table, a heading never the last line of a page.  (The whole report is checked as a
reader sees it in ``tests/present/test_reader_view.py``.)"""

from __future__ import annotations

import re
import subprocess

import pytest
from markupsafe import Markup

from evsynth.present.document import Section, TableBlock, Text
from evsynth.present.pdf import PDF_TABLE_FONTS, _pdf_column_widths, _pdf_table_layout, render_pdf

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0,
    reason="poppler-utils (pdftotext) not installed",
)


def measure(text, size):  # a fixed-pitch stand-in: every character 0.6 em wide
    return 0.6 * size * len(text)


def test_column_widths_keep_the_longest_word_and_fill_the_room():
    heads = ["country", "design"]
    body = [["Australia", "quasi-experimental study"], ["United States", "RCT"]]
    w = _pdf_column_widths(heads, body, 200, lambda t: measure(t, 6), 3)
    assert sum(w) == pytest.approx(200)
    assert w[0] >= measure("Australia", 6) + 6 and w[1] >= measure("quasi-experimental", 6) + 6
    # too narrow for the longest word: no widths (the caller tries a smaller font or a wider page)
    assert _pdf_column_widths(heads, body, 60, lambda t: measure(t, 6), 3) is None


def test_wide_tables_go_landscape_then_split_with_the_key_column():
    heads = [f"column{j}" for j in range(6)]
    body = [[f"key{i}"] + ["x" * 12] * 5 for i in range(3)]
    assert _pdf_table_layout(heads, body, 400, 700, measure)[0] == "portrait"
    page, _, _, parts = _pdf_table_layout(heads, body, 200, 300, measure)
    assert page == "landscape" and len(parts) == 1
    page, size, _, parts = _pdf_table_layout(heads, body, 100, 150, measure)
    assert page == "landscape" and size == PDF_TABLE_FONTS[-1] and len(parts) >= 2
    assert all(idx[0] == 0 for idx, _ in parts)  # the first (key) column in every part
    assert sorted({j for idx, _ in parts for j in idx}) == list(range(6))


def _text(pdf: bytes, tmp_path, page: int | None = None) -> str:
    p = tmp_path / "t.pdf"
    p.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-layout", *pages, str(p), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(pdf: bytes, tmp_path) -> int:
    p = tmp_path / "t.pdf"
    p.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(p)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))


def test_a_very_wide_table_is_split_and_every_word_is_whole(tmp_path):
    words = ["Australia", "quasi-experimental", "Netherlands", "multiprobleemgezinnen", "Incredible"]
    cols = [("study", "study")] + [(f"c{j}", f"heading {j}") for j in range(40)]
    rows = [
        {"study": f"Study{i:02d}", **{f"c{j}": f"{words[(i + j) % 5]} {words[j % 5]}" for j in range(40)}}
        for i in range(4)
    ]
    pdf = render_pdf({"title": "t"}, [Section("s", "Wide", [TableBlock(cols, rows)])])
    text = _text(pdf, tmp_path)
    toks = set(re.findall(r"[^\W\d_][\w-]*", text))
    assert set(words) <= toks
    assert {t for t in toks for w in words if w.startswith(t) and t != w and len(t) >= 5} == set()  # no fragments
    parts = len(re.findall(r"Columns, part \d+ of", text))
    assert parts >= 2 and all(text.count(f"Study{i:02d}") == parts for i in range(4))


def test_a_long_table_repeats_its_heading_row_and_no_heading_ends_a_page(tmp_path):
    rows = [{"n": str(i), "what": f"row number {i} of a long table"} for i in range(200)]
    filler = Text(Markup("A paragraph of filler text. " * 120))
    sections = [
        Section("a", "First part", [filler, filler]),
        Section(
            "b",
            "A heading before a long table",
            [TableBlock([("n", "number"), ("what", "description")], rows)],
            level=3,
        ),
        Section("c", "Last part", [filler], level=3),
    ]
    pdf = render_pdf({"title": "t"}, sections)
    n = _pages(pdf, tmp_path)
    with_rows = [p for p in range(1, n + 1) if re.search(r"row number \d+ of", _text(pdf, tmp_path, p))]
    assert len(with_rows) >= 3
    for p in with_rows:
        assert re.search(r"number\s+description", _text(pdf, tmp_path, p)), f"page {p} has no heading row"
    for p in range(1, n):
        last = [x.strip() for x in _text(pdf, tmp_path, p).splitlines() if x.strip()][-1]
        assert last not in {"First part", "A heading before a long table", "Last part"}, p
