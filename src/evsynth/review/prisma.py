"""The search and selection flow (``prisma.yaml``): structure and arithmetic checks, and
the counts of the PRISMA 2020 flow-diagram boxes."""

from __future__ import annotations

import jsonschema
import pandas as pd


__all__ = ["check_prisma", "prisma_counts", "PRISMA_SCHEMA"]

_n = {"type": ["integer", "null"], "minimum": 0}
PRISMA_SCHEMA = {
    "type": "object",
    "required": ["source", "identification", "screening", "eligibility", "included"],
    "properties": {
        "source": {"type": "string"},
        "search_period": {"type": "string"},
        "identification": {
            "type": "object",
            "required": ["databases", "records_after_deduplication"],
            "properties": {
                "databases": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "records_identified": _n,
                "duplicates_removed": _n,
                "records_after_deduplication": {"type": "integer", "minimum": 0},
            },
            "additionalProperties": False,
        },
        "screening": {
            "type": "object",
            "required": ["records_screened", "records_excluded", "exclusion_reasons"],
            "properties": {
                "records_screened": {"type": "integer", "minimum": 0},
                "records_excluded": {"type": "integer", "minimum": 0},
                "exclusion_reasons": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["reason", "n"],
                        "properties": {"reason": {"type": "string"}, "n": {"type": "integer", "minimum": 0}},
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
        "eligibility": {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 0},
            "required": [
                "full_text_assessed_articles",
                "full_text_excluded_articles",
                "included_from_database_search_articles",
            ],
        },
        "other_methods": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["method", "records_included"],
                "properties": {"method": {"type": "string"}, "records_included": {"type": "integer", "minimum": 0}},
                "additionalProperties": False,
            },
        },
        "included": {
            "type": "object",
            "required": ["primary_articles"],
            "properties": {
                "primary_articles": {"type": "integer", "minimum": 0},
                "reviews": {"type": "integer", "minimum": 0},
            },
            "additionalProperties": False,
        },
        "notes": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


def check_prisma(p: dict, path: str = "prisma.yaml") -> list[str]:
    """Every structural problem and every count that does not add up."""
    if not isinstance(p, dict):
        return [f"{path}: expected a mapping of flow-diagram boxes"]
    problems = []
    for e in sorted(
        jsonschema.Draft202012Validator(PRISMA_SCHEMA).iter_errors(p), key=lambda e: list(map(str, e.path))
    ):
        where = ".".join(str(x) for x in e.absolute_path) or "(top level)"
        problems.append(f"{path}: {where}: {e.message}")
    if problems:
        return problems
    ide, scr, eli, inc = p["identification"], p["screening"], p["eligibility"], p["included"]

    def bad(msg):
        problems.append(f"{path}: counts do not add up: {msg}")

    if ide.get("records_identified") is not None and ide.get("duplicates_removed") is not None:
        if ide["records_identified"] - ide["duplicates_removed"] != ide["records_after_deduplication"]:
            bad(
                f"records identified ({ide['records_identified']}) - duplicates removed ({ide['duplicates_removed']}) "
                f"!= records after de-duplication ({ide['records_after_deduplication']})"
            )
    if scr["records_screened"] != ide["records_after_deduplication"]:
        bad(
            f"records screened ({scr['records_screened']}) != records after de-duplication "
            f"({ide['records_after_deduplication']})"
        )
    reasons = sum(r["n"] for r in scr["exclusion_reasons"])
    if scr["exclusion_reasons"] and reasons != scr["records_excluded"]:
        bad(f"exclusion reasons sum to {reasons}, but records excluded is {scr['records_excluded']}")
    assessed = eli["full_text_assessed_articles"] + eli.get("full_text_assessed_reviews", 0)
    if scr["records_screened"] - scr["records_excluded"] != assessed:
        bad(
            f"screened ({scr['records_screened']}) - excluded ({scr['records_excluded']}) = "
            f"{scr['records_screened'] - scr['records_excluded']}, but {assessed} records were assessed in full text"
        )
    if (
        eli["full_text_assessed_articles"] - eli["full_text_excluded_articles"]
        != eli["included_from_database_search_articles"]
    ):
        bad(
            f"full-text articles assessed ({eli['full_text_assessed_articles']}) - excluded "
            f"({eli['full_text_excluded_articles']}) != included ({eli['included_from_database_search_articles']})"
        )
    if "full_text_assessed_reviews" in eli:
        if eli["full_text_assessed_reviews"] - eli.get("full_text_excluded_reviews", 0) != eli.get(
            "included_from_database_search_reviews", 0
        ):
            bad("full-text reviews assessed - excluded != reviews included")
    other = sum(o["records_included"] for o in p.get("other_methods", []))
    if eli["included_from_database_search_articles"] + other != inc["primary_articles"]:
        bad(
            f"articles from the database search ({eli['included_from_database_search_articles']}) + other methods "
            f"({other}) != primary articles included ({inc['primary_articles']})"
        )
    if "reviews" in inc and eli.get("included_from_database_search_reviews") is not None:
        if eli["included_from_database_search_reviews"] != inc["reviews"]:
            bad("reviews from the database search != reviews included")
    return problems


def prisma_counts(p: dict) -> pd.DataFrame:
    """One row per box of the PRISMA 2020 diagram (identification to included)."""
    ide, scr, eli, inc = p["identification"], p["screening"], p["eligibility"], p["included"]
    rows = [
        ("identification", "records after de-duplication", ide["records_after_deduplication"]),
        ("screening", "records screened", scr["records_screened"]),
        ("screening", "records excluded", scr["records_excluded"]),
    ]
    rows += [("screening", f"excluded: {r['reason']}", r["n"]) for r in scr["exclusion_reasons"]]
    rows += [
        ("eligibility", "full-text articles assessed", eli["full_text_assessed_articles"]),
        ("eligibility", "full-text reviews assessed", eli.get("full_text_assessed_reviews")),
        ("eligibility", "full-text articles excluded (reasons not reported)", eli["full_text_excluded_articles"]),
        ("eligibility", "full-text reviews excluded (reasons not reported)", eli.get("full_text_excluded_reviews")),
        ("eligibility", "articles included from the database search", eli["included_from_database_search_articles"]),
        ("eligibility", "reviews included from the database search", eli.get("included_from_database_search_reviews")),
    ]
    rows += [("other methods", o["method"], o["records_included"]) for o in p.get("other_methods", [])]
    rows += [("included", "primary articles", inc["primary_articles"]), ("included", "reviews", inc.get("reviews"))]
    return pd.DataFrame(rows, columns=["stage", "box", "n"]).dropna(subset=["n"]).astype({"n": int})
