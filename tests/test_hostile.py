"""Hostile-input battery (issue 14): confined paths, no leaks, no formula injection, limits,
nothing silent, the promised formats, no traceback, and a failed run that leaves the last
good results byte for byte as they were.

Most cases call the command line in-process (``main([...])`` in a copy of the project);
a few run it as a subprocess, and the last group runs the whole pipeline through
``make report``'s guard in a reduced copy of the project (one analysis)."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import BIN, ROOT, cli_in_process, copy_project, edit_config, evsynth_cmd, run
from evsynth.pipeline import io as eio
from evsynth.pipeline.paths import ENV_ALLOW

pytestmark = pytest.mark.usefixtures("hostile_env")  # tests/conftest.py
cli = cli_in_process


@pytest.fixture()
def project(hostile_project):
    return hostile_project


SECRET = "root:$6$SECRETHASHxyz:19000:0:99999:7:::"


def secret_file(tmp_path: Path) -> Path:
    s = tmp_path / "outside" / "shadow"
    s.parent.mkdir(exist_ok=True)
    s.write_text(SECRET + "\n")
    return s


BARLOW = "data/external/barlow2014.csv"
ALOE = "data/external/aloe2013.csv"
LAND = "data/external/landenberger2005.csv"


def set_cell(path: Path, row: int, col: str, value: str) -> None:
    """Set one cell (spreadsheet row numbering: data rows start at 2) of a CSV."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row - 2, col] = value
    df.to_csv(path, index=False)


# ------------------------------------------------------------------------------ 1. confinement


@pytest.mark.parametrize(
    "key,value",
    [
        ("analyses.0.dataset", "../../../../../../etc/passwd"),
        ("analyses.0.dataset", "/etc/hostname"),
        ("studies.reviews", "/etc/passwd"),
        ("quality.form", "../form.yaml"),
        ("results_dir", "/tmp/evsynth-hostile-results"),
        ("figures_dir", "../figures-elsewhere"),
        ("logs_dir", "/var/tmp/evsynth-logs"),
        ("extraction.effects", "data/../../outside.csv"),
    ],
)
def test_config_path_outside_project_is_refused(project, capsys, key, value):
    def fn(cfg):
        *parents, last = key.split(".")
        d = cfg
        for k in parents:
            d = d[int(k)] if k.isdigit() else d[k]
        d[last] = value

    edit_config(project, fn)
    name = key.replace(".0.", "[0].")
    for cmd in ("check-config", "check-inputs"):
        rc, err = cli(capsys, cmd)
        assert rc == 1
        assert f"config.yaml: {name}: '{value}' resolves to" in err and "outside the project folder" in err
        assert "--allow-dir" in err


def test_symlinked_dataset_to_secret_is_refused_without_its_content(project, capsys, tmp_path):
    target = project / ALOE
    target.unlink()
    target.symlink_to(secret_file(tmp_path))
    for cmd in (("check-config",), ("check-inputs",), ("effects", "aloe2013", "--out", "results/x.csv")):
        rc, err = cli(capsys, *cmd)
        assert rc == 1 and "analyses[4].dataset" in err and "outside the project folder" in err
        assert "SECRETHASH" not in err and "root:" not in err


def test_symlinked_folder_inside_project_resolving_outside_is_refused(project, capsys, tmp_path):
    (tmp_path / "outside").mkdir()
    (project / "results").symlink_to(tmp_path / "outside")
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and "config.yaml: results_dir: 'results' resolves to" in err


@pytest.mark.parametrize(
    "option",
    [
        ("effects", "barlow2014", "--out", "/tmp/evsynth-hostile.csv"),
        ("fit", "barlow2014", "--effects", "results/e.csv", "--outdir", "../elsewhere"),
        ("studies", "--outdir", "/tmp/evsynth-hostile-studies"),
        ("report", "--results", "results", "--figures", "figures", "--html", "/tmp/r.html"),
        ("check-config", "--config", "/etc/passwd"),
    ],
)
def test_command_line_path_outside_project_is_refused(project, capsys, option):
    rc, err = cli(capsys, *option)
    bad = next(a for a in option if a.startswith("/") or a.startswith(".."))
    flag = option[option.index(bad) - 1]
    assert rc == 1 and f"{flag}: '{bad}' resolves to" in err and "outside the project folder" in err
    assert not Path("/tmp/evsynth-hostile.csv").exists()


def test_allow_dir_option_allows_a_named_folder(project, capsys, tmp_path):
    out = tmp_path / "allowed" / "effects.csv"
    rc, err = cli(capsys, "--allow-dir", str(tmp_path / "allowed"), "effects", "barlow2014", "--out", str(out))
    assert rc == 0 and out.exists()
    rc, err = cli(capsys, "effects", "barlow2014", "--out", str(tmp_path / "other" / "e.csv"))
    assert rc == 1 and "outside the project folder" in err


def test_allow_dir_environment_variable(project, capsys, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "barlow.csv").write_bytes((project / BARLOW).read_bytes())
    edit_config(project, lambda c: c["analyses"][0].update(dataset=str(shared / "barlow.csv")))
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and "analyses[0].dataset" in err
    monkeypatch.setenv(ENV_ALLOW, str(shared))
    rc, err = cli(capsys, "check-config")
    assert rc == 0 and "OK" in err


def test_symlink_inside_project_is_fine(project, capsys):
    (project / "data/link.csv").symlink_to(project / BARLOW)
    edit_config(project, lambda c: c["analyses"][0].update(dataset="data/link.csv"))
    rc, err = cli(capsys, "check-config")
    assert rc == 0


# ------------------------------------------------------------------------------ 2. safe messages


def test_ansi_escape_in_header_does_not_reach_the_terminal(project, capsys):
    p = project / "data/quality/assessments.csv"
    p.write_text("study_id,rater,item,judgement,support_quote,\x1b[31mEVIL\x1b]0;title\x07\x1b[0m\nx,AH,A,yes,,\n")
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "\x1b" not in err and "\x07" not in err
    # issue 22 item 7: a control character in a header is refused (was: cleaned, then accepted)
    assert (
        "data/quality/assessments.csv: row 1, column 'EVIL': the column name contains the control "
        "character ESC (U+001B)"
    ) in err


def test_control_characters_and_long_cell_are_quoted_as_a_short_excerpt(project, capsys):
    p = project / "data/quality/assessments.csv"
    long = "\x1b[2J" + "A" * 5000 + "\x07\x08\x7f"
    p.write_text(f"study_id,rater,item,judgement,support_quote\nx,AH,{long},yes,\n")
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and not any(ch in err for ch in "\x1b\x07\x08\x7f")
    line = next(x for x in err.splitlines() if "column 'item'" in x)
    assert "row 2, column 'item': found 'AAAA" in line and "characters)" in line
    assert len(line) < 300


def test_quote_helper():
    from evsynth.errors import quote

    assert quote("abc") == "'abc'"
    assert quote(-5) == "-5" and quote(1.5) == "1.5"
    q = quote("x" * 100)
    assert q.startswith("'" + "x" * 40 + "...") and "(100 characters)" in q
    assert quote("a\x1b[31mb\x07c\nd") == "'ab c d'".replace(" c", "c")  # escapes gone, newline a space


def test_unreadable_file_reported_by_path_and_reason(project, capsys, monkeypatch):
    real = Path.read_bytes

    def deny(self):
        if self.name == "reviews.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "data/holwerda2014/reviews.csv: cannot read the file (Permission denied)" in err
    assert "barlow2006" not in err  # no content


def test_folder_instead_of_a_file(project, capsys):
    (project / "data/holwerda2014/reviews.csv").unlink()
    (project / "data/holwerda2014/reviews.csv").mkdir()
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and "studies.reviews: data/holwerda2014/reviews.csv: is not a file" in err


# ------------------------------------------------------------------------------ 3. formula neutralisation


@pytest.mark.parametrize(
    "cell,written",
    [
        ('=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", None),  # a carriage return: every cell quoted (see the round-trip test below)
        ("-0.5", "-0.5"),
        ("plain", "plain"),
    ],
)
def test_write_csv_neutralises_formulas(tmp_path, cell, written):
    p = tmp_path / "t.csv"
    eio.write_csv(p, pd.DataFrame({"label": [cell], "x": [-1.25]}))
    text = p.read_bytes().decode("utf-8")
    if written is None:
        assert text == '"label","x"\n"\'\rx","-1.25"\n'
    else:
        assert text == f"label,x\n{written},-1.25\n"


def test_carriage_return_in_a_cell_survives_a_round_trip(tmp_path):
    p = tmp_path / "t.csv"
    eio.write_csv(p, pd.DataFrame({"label": ["a\rb", "c"], "x": [1.5, -2.0]}))
    back = pd.read_csv(p)
    assert back["label"].tolist() == ["a\rb", "c"] and back["x"].tolist() == [1.5, -2.0]


def test_neutralised_csv_is_byte_identical_on_rerun_and_numbers_stay_numbers(tmp_path):
    df = pd.DataFrame({"s": ["=1+1", "-x", "ok"], "n": [-1.5, 0.0, 2.0], "i": [-3, 4, 5]})
    eio.write_csv(tmp_path / "a.csv", df)
    eio.write_csv(tmp_path / "b.csv", df)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    back = pd.read_csv(tmp_path / "a.csv")
    assert back["n"].tolist() == [-1.5, 0.0, 2.0] and back["i"].tolist() == [-3, 4, 5]
    assert back["s"].tolist() == ["'=1+1", "'-x", "ok"]
    assert df["s"].tolist() == ["=1+1", "-x", "ok"]  # the caller's frame is not changed


def test_formula_in_study_label_is_neutralised_in_the_effects_output(project, capsys):
    set_cell(project / ALOE, 2, "study", '=HYPERLINK("http://evil","click")')
    set_cell(project / ALOE, 3, "study", "@cmd")
    rc, err = cli(capsys, "effects", "aloe2013", "--out", "results/aloe2013/effects.csv")
    assert rc == 0
    out = pd.read_csv(project / "results/aloe2013/effects.csv")
    assert out["study"].iloc[0].startswith("'=HYPERLINK") and out["study"].iloc[1] == "'@cmd"
    assert not any(str(s).startswith(("=", "@", "+")) for s in out["study"])


# ------------------------------------------------------------------------------ 4. limits

BOMB = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefghi", "bcdefghij"))


def test_yaml_alias_bomb_config_is_refused(project, capsys):
    (project / "config.yaml").write_text("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB)
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and "config.yaml: not valid YAML" in err and "aliases expand to more than 100,000 values" in err


def test_yaml_alias_bomb_in_prisma_is_refused(project, capsys):
    (project / "data/holwerda2014/prisma.yaml").write_text("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n" + BOMB)
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "data/holwerda2014/prisma.yaml: not valid YAML" in err and "alias bomb" in err


def test_too_many_aliases(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text("a: &a 1\nb: [" + ", ".join(["*a"] * (eio.MAX_YAML_ALIASES + 1)) + "]\n")
    with pytest.raises(eio.InputError, match="more than 100 aliases"):
        eio.read_yaml(p)


def test_yaml_too_large(project, capsys):
    (project / "config.yaml").write_text("# " + "x" * (eio.MAX_YAML_BYTES + 10) + "\n")
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and "YAML files may be at most 1,048,576 bytes" in err


def test_yaml_nested_too_deeply(project, capsys):
    (project / "config.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and "config.yaml" in err


def test_table_file_too_large(project, capsys, monkeypatch):
    # the limit is declared in the config since issue 22 item 5 (limits.table_bytes)
    edit_config(project, lambda c: c.__setitem__("limits", {"table_bytes": 500}))
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "data/external/barlow2014.csv: the file is 0 MiB; input tables may be at most 0 MiB" in err
    assert "limits: {table_bytes: N}" in err


def test_table_too_many_rows(project, capsys, monkeypatch):
    edit_config(project, lambda c: c.__setitem__("limits", {"table_rows": 50}))
    rc, err = cli(capsys, "effects", "landenberger2005", "--out", "results/e.csv")
    assert rc == 1 and "data/external/landenberger2005.csv: more than 50 data rows" in err
    assert "limits: {table_rows: N}" in err


def test_large_table_is_checked_vectorised(tmp_path):
    # 200,000 rows: all bad cells counted, in one pass (the 10^6-row figures are in bench/)
    n = 200_000
    yi = np.round(np.linspace(-1, 1, n), 6).astype(str)
    vi = np.full(n, "0.05", dtype=object)
    vi[[5, 150_000]] = "inf"
    p = tmp_path / "big.csv"
    pd.DataFrame({"study": np.arange(n), "yi": yi, "vi": vi}).to_csv(p, index=False)
    t = eio.read_table(p)
    from evsynth.pipeline.dataset import compute_effects

    spec = {"id": "x", "effect": {"yi": "yi", "vi": "vi"}, "direction": {"flip": False}, "model": {}}
    with pytest.raises(eio.TableProblems) as exc:
        compute_effects(t.data, spec, str(p), rows=t.rows)
    assert exc.value.problems == [
        f"{p}: row 7, column 'vi': found 'inf'; expected a finite number",
        f"{p}: row 150002, column 'vi': found 'inf'; expected a finite number",
    ]


# ------------------------------------------------------------------------------ 5. nothing silent


@pytest.mark.parametrize("value", ["inf", "-Infinity", "nan", "NaN", "1e999", "0.0792x"])
def test_non_finite_or_text_in_a_number_column_of_a_dataset(project, capsys, value):
    set_cell(project / BARLOW, 4, "s2", value)
    rc, err = cli(capsys, "check-inputs")
    assert (
        rc == 1
        and f"data/external/barlow2014.csv: row 4, column 's2': found '{value}'; expected a finite number" in err
    )


def test_every_bad_row_of_a_dataset_is_reported(project, capsys):
    set_cell(project / BARLOW, 4, "y", "abc")
    set_cell(project / BARLOW, 8, "s2", "inf")
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/e.csv")
    assert rc == 1
    assert "row 4, column 'y': found 'abc'" in err and "row 8, column 's2': found 'inf'" in err
    assert not (project / "results/e.csv").exists()


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_non_finite_in_a_schema_table(project, capsys, value):
    p = project / "data/holwerda2014/reviews.csv"
    set_cell(p, 3, "year", value)
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and f"data/holwerda2014/reviews.csv: row 3, column 'year': found '{value}'; expected a number" in err


def test_short_and_long_rows_all_listed(project, capsys):
    p = project / BARLOW
    lines = p.read_text().splitlines()
    lines[2] = "2,-1.48,0.28"  # row 3: short
    lines[5] = lines[5] + ",99"  # row 6: long
    lines[9] = "9"  # row 10: short
    p.write_text("\n".join(lines) + "\n")
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1
    assert "data/external/barlow2014.csv: row 3: found 3 cells; the header (row 1) has 6 columns" in err
    assert "row 6: found 7 cells; the header (row 1) has 6 columns (extra value '99')" in err
    assert "row 10: found 1 cells" in err


def test_trailing_empty_cells_and_blank_lines_are_not_errors(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b\n1,2,\n\n3,4\n")
    t = eio.read_table(p)
    assert t.data.values.tolist() == [["1", "2"], ["3", "4"]] and t.rows.tolist() == [2, 4]


def test_duplicate_column_names(project, capsys):
    p = project / BARLOW
    text = p.read_text().splitlines()
    text[0] = text[0].replace('"n"', '"y"')
    p.write_text("\n".join(text) + "\n")
    rc, err = cli(capsys, "check-inputs")
    assert (
        rc == 1
        and (
            "data/external/barlow2014.csv: row 1, column 'y': the column name appears more than once "
            "(spreadsheet columns B, F)"
        )
        in err
    )


def test_duplicate_yaml_key_in_config(project, capsys):
    p = project / "config.yaml"
    p.write_text(p.read_text().replace("seed: 20140601", "seed: 20140601\nseed: 1"))
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and "duplicate key 'seed'" in err and "(line" in err


def test_duplicate_yaml_key_in_quality_form(project, capsys):
    p = project / "data/quality/form.yaml"
    p.write_text(p.read_text().replace('source: "', 'source: "x"\nsource: "', 1))
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "data/quality/form.yaml: not valid YAML" in err and "duplicate key" in err


def test_moderator_level_not_in_config_all_cells_listed(project, capsys):
    set_cell(project / LAND, 3, "design", "quasi")
    set_cell(project / LAND, 9, "group", "adults ")  # trailing space is stripped: fine
    set_cell(project / LAND, 12, "design", "RCT")
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1
    assert (
        "data/external/landenberger2005.csv: row 3, column 'design': found 'quasi'; allowed (moderator levels "
        "in the config): rct, match, nonequiv"
    ) in err
    assert "row 12, column 'design': found 'RCT'" in err and "row 9" not in err


def test_empty_statistics_are_an_error_unless_the_config_allows_dropping(project, capsys):
    set_cell(project / BARLOW, 5, "y", "")
    set_cell(project / BARLOW, 5, "s2", "")
    set_cell(project / BARLOW, 7, "s2", "")
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "row 5, column 'y': empty; a value is required (empty: y, s2)" in err
    assert "row 7, column 's2': empty" in err and "drop_incomplete" in err
    edit_config(project, lambda c: c["analyses"][0].update(drop_incomplete=True))
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "row 5" not in err and "row 7, column 's2': empty" in err  # only all-empty rows drop
    set_cell(project / BARLOW, 7, "s2", "0.1")
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/barlow2014/effects.csv")
    assert rc == 0
    excl = pd.read_csv(project / "results/barlow2014/exclusions.csv")
    assert excl.to_dict("records") == [
        {"analysis": "barlow2014", "dataset": BARLOW, "row": 5, "study": 4, "reason": "no statistics (empty: y, s2)"}
    ]
    assert len(pd.read_csv(project / "results/barlow2014/effects.csv")) == 25


def _xlsx(path: Path, sheets: dict) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)


def test_xlsx_formula_without_cached_value(project, capsys):
    df = pd.read_csv(project / BARLOW)
    rows = [list(df.columns)] + df.values.tolist()
    rows[3][2] = "=B4*2"
    rows[6][1] = "=1/0"
    _xlsx(project / "data/external/barlow2014.xlsx", {"data": rows})
    edit_config(project, lambda c: c["analyses"][0].update(dataset="data/external/barlow2014.xlsx"))
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1
    assert ("data/external/barlow2014.xlsx: row 4, column 's2': formula '=B4*2' has no saved value") in err
    assert "row 7, column 'y': formula '=1/0' has no saved value" in err


def test_xlsx_merged_cells(project, capsys):
    import openpyxl

    df = pd.read_csv(project / BARLOW)
    _xlsx(project / "data/external/barlow2014.xlsx", {"data": [list(df.columns)] + df.values.tolist()})
    wb = openpyxl.load_workbook(project / "data/external/barlow2014.xlsx")
    wb["data"].merge_cells("D3:D4")
    wb.save(project / "data/external/barlow2014.xlsx")
    edit_config(project, lambda c: c["analyses"][0].update(dataset="data/external/barlow2014.xlsx"))
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "data/external/barlow2014.xlsx: sheet 'data', rows 3-4, cells D3:D4: merged cells" in err


# ------------------------------------------------------------------------------ 6. promised formats


def _raw_yi(project):
    return -pd.read_csv(ROOT / BARLOW)["y"].to_numpy()  # the source column, flipped as the config says


def test_decimal_commas_and_semicolons_in_an_analysis_dataset(project, capsys):
    df = pd.read_csv(project / BARLOW, dtype=str)
    text = df.to_csv(index=False, sep=";").replace(".", ",")
    (project / BARLOW).write_text(text, encoding="cp1252")
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/e.csv")
    assert rc == 0
    out = pd.read_csv(project / "results/e.csv")
    np.testing.assert_allclose(out["yi"], _raw_yi(project), rtol=1e-14)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_utf16_and_utf8_bom_datasets(project, capsys, encoding):
    text = (project / BARLOW).read_text(encoding="utf-8")
    (project / BARLOW).write_bytes(text.encode(encoding))
    assert (project / BARLOW).read_bytes()[:2] in (b"\xff\xfe", b"\xef\xbb")
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/e.csv")
    assert rc == 0
    np.testing.assert_allclose(pd.read_csv(project / "results/e.csv")["yi"], _raw_yi(project), rtol=1e-14)


def test_utf16_without_bom_is_a_clear_error(project, capsys):
    text = (project / BARLOW).read_text(encoding="utf-8")
    (project / BARLOW).write_bytes(text.encode("utf-16-le"))
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "data/external/barlow2014.csv: contains NUL bytes" in err


def test_data_on_the_second_sheet_names_the_sheets(project, capsys):
    df = pd.read_csv(project / BARLOW)
    _xlsx(project / "data/external/barlow2014.xlsx", {"Notes": [], "Data": [list(df.columns)] + df.values.tolist()})
    edit_config(project, lambda c: c["analyses"][0].update(dataset="data/external/barlow2014.xlsx"))
    rc, err = cli(capsys, "check-inputs")
    assert (
        rc == 1
        and "data/external/barlow2014.xlsx: sheet 'Notes' is empty; the data may be on another sheet ('Data')" in err
    )
    edit_config(project, lambda c: c["analyses"][0].update(sheet="Data"))
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/e.csv")
    assert rc == 0
    np.testing.assert_allclose(pd.read_csv(project / "results/e.csv")["yi"], _raw_yi(project), rtol=1e-12)


def test_unknown_sheet_name_lists_the_sheets(project, capsys):
    df = pd.read_csv(project / BARLOW)
    _xlsx(project / "data/external/barlow2014.xlsx", {"A": [list(df.columns)] + df.values.tolist(), "B": [["x"]]})
    edit_config(project, lambda c: c["analyses"][0].update(dataset="data/external/barlow2014.xlsx", sheet="Data"))
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "data/external/barlow2014.xlsx: no sheet 'Data'; the workbook's sheets are: 'A', 'B'" in err


def test_sheets_mapping_for_a_study_table(project, capsys):
    df = pd.read_csv(project / "data/holwerda2014/reviews.csv", dtype=str, keep_default_na=False)
    _xlsx(
        project / "data/holwerda2014/reviews.xlsx",
        {"readme": [["see sheet 2"]], "reviews": [list(df.columns)] + df.values.tolist()},
    )

    def fn(c):
        c["studies"]["reviews"] = "data/holwerda2014/reviews.xlsx"
        c["sheets"] = {"data/holwerda2014/reviews.xlsx": "reviews"}

    edit_config(project, fn)
    rc, err = cli(capsys, "check-inputs")
    assert rc == 0 and "ok  data/holwerda2014/reviews.xlsx: coded reviews" in err


def test_xlsx_saved_as_csv(project, capsys):
    df = pd.read_csv(project / BARLOW)
    _xlsx(project / "data/x.xlsx", {"d": [list(df.columns)] + df.values.tolist()})
    (project / BARLOW).write_bytes((project / "data/x.xlsx").read_bytes())
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and "data/external/barlow2014.csv: is a zip file (an .xlsx workbook?)" in err


# ------------------------------------------------------------------------------ 8. no traceback


def test_missing_study_label_column(project, capsys):
    edit_config(project, lambda c: c["analyses"][0].update(study_label="author"))
    rc, err = cli(capsys, "check-inputs")
    assert (
        rc == 1
        and (
            "data/external/barlow2014.csv: column 'author' (study_label in the config) does not "
            "exist; columns are: study, y, s2, n1, n2, n"
        )
        in err
    )


def test_missing_exclude_if_column(project, capsys):
    edit_config(project, lambda c: c["analyses"][2]["sensitivity"].update(exclude_if={"desing": ["nonequiv"]}))
    rc, err = cli(capsys, "check-inputs")
    assert (
        rc == 1
        and ("data/external/landenberger2005.csv: column 'desing' named in sensitivity.exclude_if does not exist")
        in err
    )


@pytest.mark.parametrize(
    "value,expect",
    [
        ("1e-300", "sampling variance 1e-300 is below 1e-10"),
        ("-0.2", "sampling variance -0.2 is not positive"),
        ("0", "sampling variance 0 is not positive"),
    ],
)
def test_tiny_or_non_positive_variance(project, capsys, value, expect):
    set_cell(project / BARLOW, 3, "s2", value)
    set_cell(project / BARLOW, 6, "s2", value)
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/e.csv")
    assert rc == 1 and f"row 3, column 's2': study '2': {expect}" in err and "row 6, column 's2'" in err


def test_mathtext_in_labels_is_plain_text(tmp_path):
    from evsynth.present import plots, style

    studies = pd.DataFrame(
        {
            "label": ["$\\alpha$ study", "cost $5 and $", "$\\undefinedcommand{x}$"],
            "yi": [0.1, 0.2, 0.3],
            "vi": [0.01, 0.02, 0.03],
            "weight": [30.0, 30.0, 40.0],
            # the forest plot draws the intervals the fit stage wrote (figure_forest.csv)
            "ci_lb": [-0.1, -0.08, 0.0],
            "ci_ub": [0.3, 0.48, 0.6],
        }
    )
    fig = plots.forest_plot(
        studies,
        {"estimate": 0.2, "ci_lb": 0.1, "ci_ub": 0.3, "pi_lb": None, "pi_ub": None, "label": "Pooled"},
        title="$x$",
        xlabel="$y",
    )
    paths = style.save(fig, tmp_path / "forest")
    svg = (tmp_path / "forest.svg").read_text()
    assert "$\\alpha$ study" in svg and "cost $5 and $" in svg and len(paths) == 2


def test_long_cell_is_cut_in_the_pdf():
    from evsynth.present.pdf import PDF_CELL_MAX, _pdf_cell

    cut = _pdf_cell("word " * 6000)
    assert len(cut) < PDF_CELL_MAX + 120 and "[cut: 30,000 characters;" in cut
    assert _pdf_cell("short") == "short"


def test_full_disk_names_the_path_and_keeps_the_old_output(project, capsys, monkeypatch):
    out = project / "results/barlow2014/effects.csv"
    assert cli(capsys, "effects", "barlow2014", "--out", str(out))[0] == 0
    before = out.read_bytes()

    def full(self, path, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    rc, err = cli(capsys, "effects", "barlow2014", "--out", str(out))
    assert rc == 1 and "No space left on device" in err and "results/barlow2014/.effects.csv." in err
    assert out.read_bytes() == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_internal_error_is_one_line_not_a_traceback(project, capsys, monkeypatch):
    import evsynth.pipeline.stages as stages

    monkeypatch.setattr(stages, "dataset_effects", lambda spec: 1 / 0)
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/e.csv")
    assert rc == 1 and "internal error (ZeroDivisionError" in err and "--debug" in err


@pytest.mark.parametrize(
    "content,expect",
    [
        (b"\xff\xfe" + "study,y,s2\n1,0.1,0.01\n".encode("utf-16-le")[:-1], "byte-order mark"),
        (b"", "the file is empty"),
        (b'study,y,s2\n"1,0.1,0.01\n', "found 1 cells"),
    ],
)
def test_malformed_files_as_a_subprocess(project, content, expect):
    (project / BARLOW).write_bytes(content)
    out = run(evsynth_cmd() + ["check-inputs"], cwd=project, check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr + out.stdout
    assert "data/external/barlow2014.csv" in out.stderr and expect in out.stderr


def test_yaml_bomb_as_a_subprocess(project):
    (project / "config.yaml").write_text("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB)
    out = run(evsynth_cmd() + ["check-config"], cwd=project, check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr and "alias bomb" in out.stderr


# ------------------------------------------------------------------------------ 7. a failed run changes nothing

GUARD = [sys.executable, "-m", "evsynth.pipeline.guard", "--"]
SNAKE = [str(BIN / "snakemake"), "--cores", "2", "--quiet", "rules"]


def _outputs(project: Path) -> dict:
    return {
        str(p.relative_to(project)): p.read_bytes()
        for d in ("results", "figures")
        for p in sorted((project / d).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A reduced copy of the project (one analysis), built once through make report's guard."""
    project = copy_project(tmp_path_factory.mktemp("hostile") / "proj")
    cfg = yaml.safe_load((project / "config.yaml").read_text())
    cfg["analyses"] = [a for a in cfg["analyses"] if a["id"] == "aloe2013"]
    (project / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    out = run(GUARD + SNAKE, cwd=project, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (project / "results/report.html").exists() and (project / "results/report.pdf").exists()
    return project


def test_bad_input_stops_before_snakemake_and_changes_nothing(built):
    before = _outputs(built)
    ds = built / ALOE
    good = ds.read_bytes()
    try:
        set_cell(ds, 3, "tval", "inf")
        out = run(GUARD + SNAKE, cwd=built, check=False)
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert "the run was not started; nothing was changed" in out.stderr
        assert "data/external/aloe2013.csv: row 3, column 'tval': found 'inf'" in out.stderr
        assert _outputs(built) == before
    finally:
        ds.write_bytes(good)


def test_failed_run_puts_every_output_back(built):
    before = _outputs(built)
    # a run that deletes outputs (as Snakemake does before rerunning a job) and then fails
    wreck = [
        "sh",
        "-c",
        "rm -f results/report.html results/aloe2013/*.csv; rm -rf figures/aloe2013; "
        "echo partial > results/report.pdf; exit 3",
    ]
    out = run(GUARD + wreck, cwd=built, check=False)
    assert out.returncode == 3 and "were put back exactly as they were" in out.stderr
    assert _outputs(built) == before
    assert not (built / ".evsynth-last-good").exists()


def test_snakemake_job_failure_restores_outputs(built):
    before = _outputs(built)
    bad = built / "workflow/rules/report.smk"
    good = bad.read_text()
    try:  # the report job fails after Snakemake has deleted its old outputs
        bad.write_text(good.replace('"{params.evsynth} report', '"false && {params.evsynth} report'))
        assert bad.read_text() != good  # the rule's shell command (the evsynth executable is a param)
        out = run(GUARD + SNAKE + ["--forcerun", "report"], cwd=built, check=False)
        assert out.returncode != 0
        assert _outputs(built) == before
    finally:
        bad.write_text(good)


def test_hostile_labels_run_through_the_whole_pipeline(built):
    ds = built / ALOE
    good = ds.read_bytes()
    rv = built / "data/holwerda2014/reviews.csv"
    good_rv = rv.read_bytes()
    try:
        set_cell(rv, 2, "title", "A very long title " * 1700)  # 30,600 characters in a PDF table cell
        set_cell(ds, 2, "study", '=HYPERLINK("http://evil")')
        set_cell(ds, 3, "study", "$\\alpha$ and $unbalanced")
        set_cell(ds, 4, "study", "x" * 30_000)
        out = run(GUARD + SNAKE, cwd=built, check=False)
        assert out.returncode == 0, out.stderr[-2000:]
        eff = (built / "results/aloe2013/effects.csv").read_text()
        assert "'=HYPERLINK" in eff and "\n=HYPERLINK" not in eff
        weights = (built / "results/aloe2013/study_weights.csv").read_text()
        assert "'=HYPERLINK" in weights
        assert (built / "results/report.pdf").stat().st_size > 0
        assert "A very long title" in (built / "results/appendix.html").read_text()  # the reviews table
    finally:
        ds.write_bytes(good)
        rv.write_bytes(good_rv)
