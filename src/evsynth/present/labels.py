"""What a reader sees instead of internal names (issue 17, item 1): labels of model terms and
moderators from the config, Dutch cells translated with the original in brackets (from the
translation table ``data/translations/nl_en.csv``), figure captions from titles, and the
glossary with links from the first use of each term.

Column headings come from :data:`evsynth.texts.COLUMN_LABELS` (one dictionary for HTML, PDF
and figures); this module adds what depends on an analysis' config or on data files."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd
from markupsafe import Markup, escape

from evsynth.outputs import safe_file_name
from evsynth.present.document import Items, Text
from evsynth.present.i18n import _, current
from evsynth.texts import GLOSSARY, INTERCEPT_LABEL, column_label

__all__ = [
    "moderator_labels",
    "term_label",
    "label_rows",
    "reader_words",
    "translate",
    "english",
    "TRANSLATIONS",
    "figure_caption",
    "glossary_blocks",
    "link_first_uses",
]

TRANSLATIONS = Path("data/translations/nl_en.csv")  # relative to the project (the report runs there)


def moderator_labels(spec: dict, translate: bool = True) -> tuple[dict, dict]:
    """``(column -> label, column -> {level -> label})`` of an analysis' moderators and
    subgroup columns, from its config (``label``, ``level_labels``), in the report's language
    (in English with ``translate=False``)."""
    tr = _ if translate else str
    names, levels = {}, {}
    for m in spec.get("moderators") or []:
        names[m["column"]] = tr(m.get("label") or column_label(m["column"]))
        levels[m["column"]] = {str(k): tr(str(v)) for k, v in (m.get("level_labels") or {}).items()}
    return names, levels


def term_label(term: str, spec: dict) -> str:
    """A model term as a reader reads it: ``intrcpt`` -> 'Intercept (average effect)',
    ``pubstatus[1]`` -> 'publication status: published', a joint model ``a + b`` -> both
    labels, a numeric moderator -> its label."""
    names, levels = moderator_labels(spec)
    t = str(term)
    if t == "intrcpt":
        return _(INTERCEPT_LABEL)
    if " + " in t:
        return " + ".join(term_label(p, spec) for p in t.split(" + "))
    m = re.fullmatch(r"(.+?)\[(.*)\]", t)
    if m:
        col, lev = m.group(1), m.group(2)
        return f"{names.get(col, _(column_label(col)))}: {levels.get(col, {}).get(lev, lev)}"
    return names.get(t, _(column_label(t)))


def label_rows(rows: list[dict], spec: dict, keys=("model", "term", "subgroup_variable", "moderator")) -> list[dict]:
    """Records of a results table with the term and moderator cells in words; the level
    of a subgroup (``group``) in its level words."""
    _names, levels = moderator_labels(spec)
    out = []
    for r in rows:
        r = dict(r)
        for k in keys:
            if r.get(k):
                r[k] = term_label(r[k], spec)
        if r.get("group") and "subgroup_variable" in rows[0]:
            col = next((c for c, lv in levels.items() if str(r["group"]) in lv), None)
            if col:
                r["group"] = levels[col][str(r["group"])]
        out.append(r)
    return out


def reader_words(text: str, spec: dict) -> str:
    """A note written by a pipeline stage with the analysis id and the moderator columns in
    words: 'programme_derived = HNC: not pooled (ahrq2015: 1 study ...)' becomes
    'programme (derived) = HNC: not pooled (Parenting programmes (AHRQ): 1 study ...)'.  In English
    (:func:`evsynth.present.generated.words` gives it in the report's language)."""
    names, _levels = moderator_labels(spec, translate=False)
    out = re.sub(rf"\b{re.escape(spec['id'])}\b", spec.get("short_title", spec["title"]), str(text))
    for col, lab in sorted(names.items(), key=lambda kv: -len(kv[0])):
        if "_" in col or col != lab:
            out = re.sub(rf"(?<![\w/.]){re.escape(col)}(?![\w/.])", lab, out)
    return out


@lru_cache(maxsize=4)
def _table(path: str, mtime: float) -> tuple[tuple[str, str, str], ...]:
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    return tuple((r["dutch"], r["english"], r["applies_to"]) for _i, r in t.iterrows())


def _entries(path: Path | None = None) -> tuple[tuple[str, str, str], ...]:
    p = Path(path or TRANSLATIONS)
    if not p.is_file():
        return ()
    return _table(str(p), p.stat().st_mtime)


def translate(text, path: Path | None = None) -> str:
    """A cell in English with the Dutch original in brackets, when the translation table
    has it: the whole cell ('Gezin Centraal'), a Dutch phrase followed by the coders'
    gloss in brackets ('andere doelgroep (other target group)'), or a quoted phrase.
    Anything the table does not list is returned unchanged; so is every cell in the Dutch
    edition (it shows the Dutch original)."""
    s = "" if text is None else str(text)
    if not s or current() == "nl":
        return s
    entries = _entries(path)
    for nl, en, _kind in entries:
        if s == nl:
            return f"{en} (Dutch: {nl})"
    for nl, en, kind in sorted(entries, key=lambda e: -len(e[0])):
        if not kind.startswith(("PRISMA", "phrase")):  # other entries translate whole cells only
            continue
        pat = re.escape(nl) + r" \((?:[^()]|\([^()]*\))*\)"  # the Dutch with the coders' gloss in brackets
        if kind.startswith("phrase"):
            pat = re.escape(nl)
        if re.search(r"(?<!\w)" + pat + r"(?!\w)", s):
            return re.sub(r"(?<!\w)" + pat + r"(?!\w)", lambda m: f"{en} (Dutch: {nl})", s)
    return s


def english(text, path: Path | None = None) -> str:
    """The English of a whole Dutch cell from the translation table, or '' when it has none."""
    return next((en for nl, en, _ in _entries(path) if nl == str(text)), "")


FIGURE_KINDS = {
    "forest": "Forest plot",
    "funnel": "Funnel plot",
    "specification_curve": "Specification curve (every combination of the analytic choices)",
    "bubble": "Bubble plot",
}


def figure_caption(stem: str, spec: dict, stems=()) -> str:
    """The caption of a figure file of an analysis, from the analysis' title and the
    moderator labels (never the file name): 'forest_by_group_page2' with three pages among
    ``stems`` -> 'Forest plot by juveniles vs adults (part 2 of 3): <title>'."""
    names, _levels = moderator_labels(spec)
    title = _(spec["title"])
    m = re.fullmatch(r"(.*?)(?:_page(\d+))?", stem)
    stem, page = m.group(1), int(m.group(2) or 1)
    parts = sum(1 for s in stems if re.fullmatch(rf"{re.escape(stem)}(?:_page\d+)?", s))
    part = (
        _(" (part {} of {})").format(page, parts) if parts > 1 else _(" (page {})").format(page) if m.group(2) else ""
    )
    names_of = {safe_file_name(c): c for c in [*names, *(spec.get("subgroups") or [])]}  # file name -> column
    if stem.startswith("forest_by_"):
        col = names_of.get(stem[len("forest_by_") :], stem[len("forest_by_") :])
        return _("Forest plot by {}{}: {}").format(names.get(col, _(column_label(col))), part, title)
    if stem.startswith("bubble_"):
        col = names_of.get(stem[len("bubble_") :], stem[len("bubble_") :])
        return _("Bubble plot of the effect against {}{}: {}").format(names.get(col, _(column_label(col))), part, title)
    return f"{_(FIGURE_KINDS[stem]) if stem in FIGURE_KINDS else _(column_label(stem).capitalize())}{part}: {title}"


# ------------------------------------------------------------------------------------- glossary


def glossary_blocks():
    """The glossary as (anchor, term, definition) triples in alphabetical order of term."""
    return sorted(((f"g-{a}", term, text) for a, term, text, _ in GLOSSARY), key=lambda e: e[1].lower())


_TAG = re.compile(r"(<[^>]+>)")


def _link_first(markup: str, pattern: re.Pattern, anchor: str) -> tuple[str, bool]:
    """The markup with the first match of ``pattern`` in its text (outside tags, links,
    code and number spans) made a link to ``#anchor``."""
    parts = _TAG.split(markup)
    depth = 0
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            name = re.match(r"</?\s*(\w+)", part)
            if name and name.group(1) in ("a", "code", "span", "b"):
                depth += -1 if part.startswith("</") else 1
            continue
        if depth:
            continue
        m = pattern.search(part)
        if m:
            parts[i] = part[: m.start()] + f'<a class="term" href="#{anchor}">{m.group(0)}</a>' + part[m.end() :]
            return "".join(parts), True
    return markup, False


def link_first_uses(sections) -> None:
    """Links the first use of every glossary term in the report's running text (paragraphs
    and list items, in reading order, before the glossary) to its entry.  Changes the
    sections' text blocks in place; the words stay the same (the PDF drops links)."""
    todo = [(f"g-{a}", re.compile("|".join(f"(?:{p})" for p in pats))) for a, _, _, pats in GLOSSARY]
    for s in sections:
        if s.id == "glossary":
            break
        for b in s.blocks:
            targets = []
            if isinstance(b, Text):
                targets = [("text", None)]
            elif isinstance(b, Items):
                targets = [("items", j) for j in range(len(b.items))]
            for kind, j in targets:
                text = str(b.text if kind == "text" else b.items[j])
                left = []
                for anchor, pat in todo:
                    text, done = _link_first(text, pat, anchor)
                    if not done:
                        left.append((anchor, pat))
                todo = left
                if kind == "text":
                    b.text = Markup(text)
                else:
                    b.items[j] = Markup(text)
            if not todo:
                return


def glossary_text(term: str, text: str) -> Markup:
    return Markup("<b>{}</b>: {}").format(escape(term), escape(text))


TRANSLATION_NOTE = (
    "Dutch names and terms are given in English with the Dutch original in brackets; the English is "
    "a translation by this report's coders (<code>data/translations/nl_en.csv</code>, with the source "
    "line of each term)."
)


def translated(rows: list[dict], keys) -> list[dict]:
    """Records with the cells of ``keys`` translated (:func:`translate`)."""
    return [{k: (translate(v) if k in keys else v) for k, v in r.items()} for r in rows]
