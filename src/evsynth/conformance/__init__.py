"""The conformance harness: ``evsynth validate DIR`` runs reference cases computed by R
metafor (``../shared/golden`` format) through the engine and compares every key."""
