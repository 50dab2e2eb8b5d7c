"""Build data/findings/findings.csv: one row per conclusion that Holwerda et al. (2014) draw in
3.4, chapter 4 (4.1-4.10), 5.5, 6 (its conclusions), 7.1, 7.2 and 7.4, and that the NJI text (2020) draws in its
first-page summary and its sections 1, 1.1-1.4, 2, 3 and 4 (every bullet of a list its own row).
Run from the repository root:

    python -m coding.findings.build_findings ../shared/seeds [OUT]

(OUT defaults to data/findings/findings.csv.)

How a claim is taken from the seed
    Each claim is given by its document, seed line range and the first and last words of the
    claim (``start`` ... ``end``); the script cuts the claim from those lines, so ``claim_nl``
    is verbatim (lines joined with one space; in the NJI text the markdown emphasis marks "*"
    are dropped).  ``strength_nl`` (the strength of evidence in the source's own words, or the
    lead-in / section caveat that governs the claim) is likewise cut from the seed (``s_start``
    ... ``s_end`` in lines ``s_lines``, default the claim's lines).  The script stops if a
    phrase is not found.

What is coded (by the coder, in data/findings/claims_coding.csv, one row per claim)
    ``claim_en_translation``: a literal English translation by the coder (a translation, not
    a source text); ``claim_type``; ``intervention_or_factor``, ``population`` ("for whom";
    empty = all families with multiple problems), ``outcome`` (empty = not named); and
    ``direction`` of the claim as the source states it, hedges and limitations kept: positive /
    limited positive / possibly positive / mixed / none / possibly none / negative / unknown;
    empty for claims that are not about an effect (evidence base, barriers, recommendations,
    target groups, approaches per type of family, the definition).  data/findings/CODING_RULES.md
    defines every value with its decision rules (written for a second, blind coder);
    data/findings/coding_decisions.csv gives the reason for every change made after the audit of issue 25.
"""

import csv
import re
from pathlib import Path

from coding.common import DATA, cli_args, write_rows

DOCS = {
    "holwerda2014": ("003_169077222a0c6c24.txt", "Holwerda, Jansen & Reijneveld (2014)"),
    "nji2020": (
        "000_d6eb5ec40b6ce6bc.txt",
        "Nederlands Jeugdinstituut (2020), Wat werkt in de hulp aan gezinnen met meervoudige en complexe problemen?",
    ),
}

F = [
    "finding_id",
    "source_document",
    "section",
    "claim_nl",
    "claim_en_translation",
    "claim_type",
    "intervention_or_factor",
    "population",
    "outcome",
    "direction",
    "strength_nl",
    "strength_lines",
    "first_line",
    "last_line",
    "source",
]

# the coder's table: one row per claim (data/findings/claims_coding.csv, columns
# finding_id, document, section, first_line, last_line, claim_start, claim_end,
# claim_en_translation, claim_type, intervention_or_factor, population, outcome, direction,
# strength_start, strength_end, strength_lines; an empty strength_start: no strength phrase,
# an empty strength_lines: the claim's own lines)
CODING = DATA / "findings" / "claims_coding.csv"


def claims() -> list[tuple]:
    """The coded claims as ``(id, doc, section, first, last, start, end, english, type,
    factor, population, outcome, direction, (s_start, s_end) or None, s_lines or None)``."""
    with open(CODING, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        (
            r["finding_id"],
            r["document"],
            r["section"],
            int(r["first_line"]),
            int(r["last_line"]),
            r["claim_start"],
            r["claim_end"],
            r["claim_en_translation"],
            r["claim_type"],
            r["intervention_or_factor"],
            r["population"],
            r["outcome"],
            r["direction"],
            (r["strength_start"], r["strength_end"]) if r["strength_start"] else None,
            r["strength_lines"] or None,
        )
        for r in rows
    ]


def flat(lines: list[str], a: int, b: int) -> str:
    return re.sub(r"\s+", " ", " ".join(l.strip() for l in lines[a - 1 : b]).replace("*", "")).strip()


def cut(text: str, start: str, end: str, where: str) -> str:
    i = text.find(start)
    assert i >= 0, f"{where}: start {start!r} not found in the seed lines"
    j = text.find(end, i)
    assert j >= 0, f"{where}: end {end!r} not found after start in the seed lines"
    return text[i : j + len(end)]


def build(seeds: str) -> list[dict]:
    texts = {d: (Path(seeds) / f).read_text(encoding="utf-8").split("\n") for d, (f, _) in DOCS.items()}
    out = []
    for fid, doc, sec, a, b, start, end, en, typ, factor, pop, outc, direction, strength, s_lines in claims():
        lines = texts[doc]
        claim = cut(flat(lines, a, b), start, end, f"{CODING.name}, {fid}, claim_start/claim_end")
        s_txt, s_ln = "", ""
        if strength:
            sa, sb = map(int, (s_lines or f"{a}-{b}").split("-"))
            s_txt = cut(
                flat(lines, sa, sb), strength[0], strength[1], f"{CODING.name}, {fid}, strength_start/strength_end"
            )
            s_ln = f"{sa}-{sb}"
        out.append(
            {
                "finding_id": fid,
                "source_document": doc,
                "section": sec,
                "claim_nl": claim,
                "claim_en_translation": en,
                "claim_type": typ,
                "intervention_or_factor": factor,
                "population": pop,
                "outcome": outc,
                "direction": direction,
                "strength_nl": s_txt,
                "strength_lines": s_ln,
                "first_line": a,
                "last_line": b,
                "source": f"{DOCS[doc][1]}, section {sec}, seed {DOCS[doc][0]} lines {a}-{b}",
            }
        )
    ids = [r["finding_id"] for r in out]
    assert len(ids) == len(set(ids))
    return out


def main(seeds: str, out: str) -> None:
    write_rows(out, F, build(seeds))


if __name__ == "__main__":
    main(*cli_args(DATA / "findings" / "findings.csv"))
