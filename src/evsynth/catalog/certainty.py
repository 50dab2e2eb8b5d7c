"""The outputs across analyses: the GRADE certainty of every pooled outcome, its reasons,
the comparison with the reviews' findings and the published estimates."""

from __future__ import annotations

from evsynth.catalog.entries import Output, entry

__all__ = ["CERTAINTY"]

CERTAINTY: tuple[Output, ...] = (
    # all analyses: certainty
    entry(
        "certainty",
        "certainty/certainty.csv",
        "certainty",
        "GRADE certainty of every pooled outcome (one row per analysis and body of evidence)",
        "analysis,body",
    ),
    entry(
        "certainty_reasons",
        "certainty/certainty_reasons.csv",
        "certainty",
        "per outcome and GRADE domain: the rating and the number behind it",
        "analysis,body,domain,downgrade,rating,number,reason",
    ),
    entry(
        "review_comparison",
        "certainty/review_comparison.csv",
        "certainty",
        "each analysis naming review_findings: "
        "its pooled result beside each named conclusion of the findings table, with the agreement in direction",
        "analysis,finding_id,section,finding_direction,claim_en,claim_nl,estimate,ci_lb,ci_ub,certainty,agreement,"
        "sentence",
    ),
    entry(
        "published",
        "certainty/published.csv",
        "certainty",
        "pooled estimates of published reviews (shown, never pooled; empty without published_estimates)",
        "source_row,review,k_studies,k_es,N,outcome,estimate,metric",
    ),
)
