"""``python -m evsynth.catalog docs/architecture.md``: rewrite the catalogue tables in that page."""

import sys

from evsynth.catalog.doc import write_doc

if __name__ == "__main__":
    write_doc(sys.argv[1])
