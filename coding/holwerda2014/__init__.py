"""Holwerda, Jansen & Reijneveld (2014): Bijlage 5 and 6 and the coding log (data/holwerda2014/)."""
