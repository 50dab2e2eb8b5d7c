"""Outcome domains of the coded evidence, coded from a written dictionary.

The dictionary is a data file, ``outcome_domain_dictionary.csv`` beside this module: one
row per outcome term (Dutch ``nl`` or English ``en``) with its domain.  ``match`` is
``part`` (the term may stand inside a longer word: ``opvoed`` in ``opvoedingsvaardigheden``)
or ``word`` (the term must be a whole word: ``werk``, ``gedrag``, ``iq``).  Terms are tried
longest first, case-insensitively; where a term matches, its span is masked so that a
shorter term cannot match inside it (``maatschappelijk werk`` is service use, and its
``werk`` is then not employment; ``gedrag ouders`` is parenting, and its ``gedrag`` is then
not child behaviour).  A text gets every domain one of its terms belongs to.  Where a coder
decided a domain instead of the dictionary, that is written in the table's coding log."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

__all__ = ["DOMAINS", "DICTIONARY_PATH", "load_dictionary", "domains_of", "domain_of", "matched_terms"]

DICTIONARY_PATH = Path(__file__).with_name("outcome_domain_dictionary.csv")
DOMAINS = [
    "family functioning",
    "parenting",
    "parent mental health",
    "child behaviour",
    "maltreatment/neglect",
    "child development/health",
    "service use",
    "socio-economic",
]


@lru_cache(maxsize=8)
def load_dictionary(path: str | None = None) -> tuple[tuple[str, str, str, re.Pattern], ...]:
    """(term, match, domain, compiled pattern), longest term first."""
    with open(path or DICTIONARY_PATH, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        term, match, dom = r["term"].strip().lower(), r["match"].strip(), r["domain"].strip()
        if dom not in DOMAINS or match not in ("part", "word") or not term:
            raise ValueError(f"{path or DICTIONARY_PATH}: bad dictionary row {r}")
        pat = re.escape(term)
        if match == "word":
            pat = rf"(?<!\w){pat}(?!\w)"
        out.append((term, match, dom, re.compile(pat)))
    out.sort(key=lambda x: (-len(x[0]), x[0]))
    return tuple(out)


def matched_terms(text: str, path: str | None = None) -> list[tuple[str, str]]:
    """(term, domain) pairs found in ``text``, longest terms first, each span used once."""
    low = list((text or "").lower())
    found = []
    for term, _, dom, pat in load_dictionary(path):
        s = "".join(low)
        hit = False
        for m in pat.finditer(s):
            hit = True
            low[m.start() : m.end()] = ["\0"] * (m.end() - m.start())
        if hit:
            found.append((term, dom))
    return found


def domains_of(text: str, path: str | None = None) -> list[str]:
    """The domains of ``text`` in the order of ``DOMAINS``."""
    doms = {d for _, d in matched_terms(text, path)}
    return [d for d in DOMAINS if d in doms]


def domain_of(text: str) -> str:
    """The first matching domain, or '' when none matches."""
    d = domains_of(text)
    return d[0] if d else ""
