"""The names code outside the package imported from here before reading, checking and YAML
got a module each (issue 23): re-exported for that code only.  New code imports from
:mod:`evsynth.pipeline.reading` (reading tables), :mod:`evsynth.pipeline.checks` (checking
them against their schemas), :mod:`evsynth.pipeline.yamlfile` (YAML files) and
:mod:`evsynth.outputs` (writing).  The limits live in those modules: patch them there."""

__all__ = ["InputError", "TableProblems", "atomic_folder", "atomic_path", "neutralise_formulas", "recording",
           "write_bytes", "write_csv", "write_text", "allowed_text", "check_table", "load_table", "table_schema",
           "MAX_TABLE_BYTES", "MAX_TABLE_ROWS", "NA_MARKERS", "Table", "parse_numbers", "read_table", "set_sheets",
           "MAX_YAML_ALIASES", "MAX_YAML_BYTES", "MAX_YAML_NODES", "read_yaml"]

from evsynth.errors import InputError, TableProblems  # noqa: F401
from evsynth.outputs import (  # noqa: F401
    atomic_folder, atomic_path, neutralise_formulas, recording, write_bytes, write_csv, write_text,
)
from evsynth.pipeline.checks import allowed_text, check_table, load_table, table_schema  # noqa: F401
from evsynth.pipeline.reading import (  # noqa: F401
    MAX_TABLE_BYTES, MAX_TABLE_ROWS, NA_MARKERS, Table, parse_numbers, read_table, set_sheets,
)
from evsynth.pipeline.yamlfile import MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_NODES, read_yaml  # noqa: F401
