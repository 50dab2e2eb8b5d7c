"""The report's languages (issue 27 item 4): every fixed text goes through :func:`_` (gettext);
the message catalogs are ``locale/<lang>/LC_MESSAGES/evsynth.po``, compiled with Babel when
the report is built (no compiled ``.mo`` file is kept in the repository); numbers are written
in the language's notation by :func:`number` (Babel's locale data: a decimal comma in Dutch).

English is the source language: its catalog is the identity.  A message without a Dutch
translation is shown in English (the reader always gets text) and recorded in
:func:`missing`; ``tests/present/test_report_languages.py`` fails on any."""

from __future__ import annotations

import gettext
import io
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from importlib import resources

__all__ = ["LANGUAGES", "DOMAIN", "_", "N_", "language", "current", "missing", "number", "catalog"]

LANGUAGES = ("en", "nl")
DOMAIN = "evsynth"
_state: dict = {"lang": "en", "tr": None}
_missing: dict[str, dict] = {}  # language -> messages met without a translation (last build)


def N_(msgid: str) -> str:
    """Marks a text for the catalog where it is defined (a constant); translated where it is used."""
    return msgid


@lru_cache(maxsize=None)
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang``: ``locale/<lang>/LC_MESSAGES/evsynth.po`` read and
    compiled by Babel in memory (``pybabel compile`` does the same to a file)."""
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = resources.files("evsynth.present").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")
    with po.open("rb") as f:
        cat = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, cat, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@contextmanager
def language(lang: str):
    """Texts and numbers in ``lang`` inside the block."""
    if lang not in LANGUAGES:
        raise ValueError(f"report language {lang!r} is not one of {', '.join(LANGUAGES)}")
    old = dict(_state)
    _state.update(lang=lang, tr=catalog(lang))
    _missing[lang] = {}
    try:
        yield
    finally:
        _state.update(old)


def current() -> str:
    return _state["lang"]


def _(msgid: str) -> str:
    """``msgid`` in the current language (itself in English, and where a translation is missing)."""
    if not any(c.isalpha() for c in msgid) or _state["lang"] == "en":
        return msgid
    tr = _state["tr"]
    if msgid not in getattr(tr, "_catalog", {}):  # (a translation may equal the English: "MDFT", "RCT")
        _missing[_state["lang"]].setdefault(msgid, None)
        return msgid
    return tr.gettext(msgid)


def missing(lang: str = "nl") -> list[str]:
    """The messages without a translation met by the last build in ``lang``."""
    return list(_missing.get(lang, {}))


def number(x: float, digits: int) -> str:
    """``x`` rounded to ``digits`` decimals (as ``f"{x:.{digits}f}"``) in the notation of the
    current language: Babel's decimal symbol of the locale, no grouping (as in English)."""
    text = f"{x:.{digits}f}"
    if _state["lang"] == "en":
        return text
    from babel.numbers import format_decimal

    return format_decimal(Decimal(text), "0" + ("." + "0" * digits if digits else ""), locale=_state["lang"])
