"""The names code outside the package imported from here before reading, checking and YAML
got a module each (issue 23): re-exported for that code only.  New code imports from
:mod:`evsynth.pipeline.reading` (reading tables, the readers' limits), :mod:`evsynth.pipeline.checks`
(checking tables against their schemas), :mod:`evsynth.pipeline.yamlfile` (YAML files) and
:mod:`evsynth.outputs` (writing).  The limits are globals of those modules (``set_limits``
changes :mod:`evsynth.pipeline.reading`'s): read and patch them there, not here."""

__all__ = [
    "InputError",
    "TableProblems",
    "atomic_folder",
    "atomic_path",
    "neutralise_formulas",
    "read_output",
    "recording",
    "restore_formulas",
    "write_bytes",
    "write_csv",
    "write_text",
    "allowed_text",
    "check_table",
    "load_table",
    "table_schema",
    "LIMIT_DEFAULTS",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_ROWS",
    "MAX_XLSX_UNCOMPRESSED",
    "NA_MARKERS",
    "SpellingNote",
    "Table",
    "normalise_nfc",
    "parse_numbers",
    "read_table",
    "refuse_special_file",
    "set_limits",
    "set_sheets",
    "MAX_YAML_ALIASES",
    "MAX_YAML_BYTES",
    "MAX_YAML_NODES",
    "read_yaml",
]

from evsynth.errors import InputError, TableProblems
from evsynth.outputs import (
    atomic_folder,
    atomic_path,
    neutralise_formulas,
    read_output,
    recording,
    restore_formulas,
    write_bytes,
    write_csv,
    write_text,
)
from evsynth.pipeline.checks import allowed_text, check_table, load_table, table_schema
from evsynth.pipeline.reading import (
    LIMIT_DEFAULTS,
    MAX_TABLE_BYTES,
    MAX_TABLE_ROWS,
    MAX_XLSX_UNCOMPRESSED,
    NA_MARKERS,
    SpellingNote,
    Table,
    normalise_nfc,
    parse_numbers,
    read_table,
    refuse_special_file,
    set_limits,
    set_sheets,
)
from evsynth.pipeline.yamlfile import MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_NODES, read_yaml
