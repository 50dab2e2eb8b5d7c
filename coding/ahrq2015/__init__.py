"""The AHRQ 2015 working extraction: arms, comparisons, exclusions (data/ahrq2015/)."""
