"""The fast CSV reader (pandas' C parser, also for quoted cells) reads every table exactly as
the careful reader (Python's csv module, cell by cell) does: the same cells, the same rows;
where the two could differ (a quoted line break, a stray quote) the careful reader reads."""

import pandas as pd
import pytest

from evsynth.pipeline import reading

CASES = {
    "comma in quotes": 'a,b,c\n1,"x, y",3\n4,5,6\n',
    "doubled quotes": 'a,b\n"say ""hi"", then go",2\n"""",3\n',
    "spaces inside quotes": 'a,b\n" padded ",2\n"x"," y "\n',
    "spaces around": "a , b\n 1 ,2 \n3,  4\n",
    "quote inside a cell": 'a,b\nab"cd,2\nx,"y"z\n',
    "empty quoted": 'a,b\n"",2\n3,""\n',
    "line break in quotes": 'a,b\n"two\nlines",2\n3,4\n',
    "crlf": 'a,b\r\n"1, one",2\r\n3,4\r\n',
    "semicolons, decimal commas": 'a;b\n"1,5";x\n2,25;"y; z"\n',
    "tabs": 'a\tb\n"x\ty"\t2\n3\t4\n',
    "non-ASCII": 'a,b\n"Café, thé",é\nnaïve,"ü ö"\n',
    "no quotes": "a,b\n1,2\n3,4\n",
    "trailing blank lines": "a,b\n1,2\n\n\n",
    "short row": 'a,b,c\n"1,2",3\n',
    "short row, no quotes": "a,b,c\n1,2\n4,5,6\n",  # pandas fills it in: the careful reader names it
    "long row": "a,b\n1,2,3\n4,5\n",
    "other white space": 'a,b\n"x\u2003",\u00a02\nq\u2003,"\u00a0r"\n',
    "space after a quoted cell": 'a,b\n"x",y \n"p" ,q\n',
    "space at the end of the file": 'a,b\n"x","y, z"\n1," 2"',
    "tab inside quotes at a line start": 'a,b\n"\tx",1\n',
    "spaces beside doubled quotes": 'a,b\n"he said ""no "", then",2\n1,2\n',
}


def _careful(p, monkeypatch):
    monkeypatch.setattr(reading, "_fast_plan", lambda text, delim: None)
    try:
        return reading.read_table(p)
    finally:
        monkeypatch.undo()


def _writable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


@pytest.mark.parametrize(
    "case, encoding",
    [(c, e) for c in sorted(CASES) for e in ("utf-8", "utf-8-sig", "cp1252") if _writable(CASES[c], e)],
)
def test_fast_reader_reads_as_the_careful_one(tmp_path, monkeypatch, case, encoding):
    text = CASES[case]
    p = tmp_path / "t.csv"
    p.write_bytes(text.encode(encoding))
    try:
        want = _careful(p, monkeypatch)
    except Exception as exc:  # the careful reader refuses: so must the fast one, with its message
        with pytest.raises(type(exc)) as got:
            reading.read_table(p)
        assert str(got.value) == str(exc)
        return
    got = reading.read_table(p)
    assert list(got.data.columns) == list(want.data.columns)
    # (the careful reader builds pandas string columns, the fast one object columns of str: same cells)
    pd.testing.assert_frame_equal(
        got.data.reset_index(drop=True).astype(object), want.data.reset_index(drop=True).astype(object)
    )
    assert list(got.rows) == list(want.rows)
    assert (got.encoding, got.delimiter, got.decimal) == (want.encoding, want.delimiter, want.decimal)


def test_quoted_table_takes_the_fast_path(tmp_path, monkeypatch):
    p = tmp_path / "t.csv"
    p.write_text(CASES["doubled quotes"], encoding="utf-8")
    calls = []
    real = reading._read_csv_fast
    monkeypatch.setattr(reading, "_read_csv_fast", lambda *a: calls.append(1) or real(*a))
    t = reading.read_table(p)
    assert calls and t.data.iloc[0, 0] == 'say "hi", then go' and t.data.iloc[1, 0] == '"'
