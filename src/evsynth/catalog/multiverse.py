"""The outputs of an analysis's multiverse (when the analysis declares ``multiverse``): the
key of its configuration, the blocks of specifications, and the gathered tables."""

from __future__ import annotations

from evsynth.catalog.entries import Output, entry

__all__ = ["MULTIVERSE"]

MULTIVERSE: tuple[Output, ...] = (
    # one analysis: the multiverse
    entry(
        "multiverse_key",
        "{analysis}/multiverse/key.txt",
        "workflow",
        "the key of the current multiverse config "
        "(12 hex digits of a hash; the blocks' folder), rewritten by the workflow when it changes",
        kind="text",
        when=("analysis", "multiverse"),
    ),
    entry(
        "multiverse_block",
        "{analysis}/multiverse/{key}/chunk_{chunk}.csv",
        "multiverse",
        "one block of specifications fitted with the batched engine",
        "spec_id",
        when=("analysis", "multiverse"),
    ),
    entry(
        "multiverse",
        "{analysis}/multiverse.csv",
        "multiverse-gather",
        "every specification of the multiverse: its choices (one column per dimension) and results",
        "spec_id,rank",
        when=("analysis", "multiverse"),
    ),
    entry(
        "multiverse_summary",
        "{analysis}/multiverse_summary.csv",
        "multiverse-gather",
        "one row: the spread of the multiverse's estimates",
        "n_specifications,n_fitted,median_estimate,min_estimate,max_estimate,"
        "n_ci_excludes_zero,pct_ci_excludes_zero,n_ci_above_zero,most_influential_dimension,spread_of_medians,"
        "choice_lowest_median,lowest_median,choice_highest_median,highest_median",
        when=("analysis", "multiverse"),
    ),
    entry(
        "multiverse_dimensions",
        "{analysis}/multiverse_dimensions.csv",
        "multiverse-gather",
        "per dimension and choice: specifications fitted, median estimate",
        "dimension,choice,n_fitted,median_estimate,spread",
        when=("analysis", "multiverse"),
    ),
)
