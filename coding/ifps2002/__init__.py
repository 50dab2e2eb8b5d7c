"""Intensive family preservation: the placement trials pooled (data/ifps2002/)."""
