"""Agreement of the two independent extractions (data/extraction/)."""
