"""evsynth: evidence synthesis and meta-analysis."""
__version__ = "0.1.0"
