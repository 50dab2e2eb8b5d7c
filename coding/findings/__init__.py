"""The conclusions of both reviews and the second, blind coder (data/findings/)."""
