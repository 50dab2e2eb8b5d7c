"""The second, blind coder (issue 25 item 2): the shipped agreement table and disagreement list are
what coding/findings/second_coder_agreement.py computes from the shipped sheets and first coding;
every disagreement has exactly one resolution; every resolution that changes the first coding is
what the first coding now holds; a missing or doubled resolution stops the script with one message."""

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coding.findings import second_coder_agreement as sca
from conftest import ROOT

FINDINGS = ROOT / "data" / "findings"


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _csv_bytes(fields, rows) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


RES = _read(FINDINGS / "second_coder_resolutions.csv")
DIS = _read(FINDINGS / "second_coder_disagreements.csv")


def test_kappa_is_cohens_kappa_of_a_published_example():
    # Cohen's kappa, worked example of the Wikipedia article "Cohen's kappa": 50 items, both yes 20,
    # A yes/B no 5, A no/B yes 10, both no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert sca.kappa(pairs) == pytest.approx(0.4)
    assert sca.kappa([("a", "a")] * 3) is None  # chance agreement 1


def test_shipped_tables_are_what_the_script_computes_and_a_rerun_is_identical():
    first = sca.compare()
    again = sca.compare()
    assert first == again
    summary, disagreements = first
    assert _csv_bytes(sca.SUMMARY_FIELDS, summary) == (FINDINGS / "second_coder_agreement.csv").read_bytes()
    assert (
        _csv_bytes(["table", "id", "column", "first", "second", "second_note"], disagreements)
        == (FINDINGS / "second_coder_disagreements.csv").read_bytes()
    )
    # the disagreements are those of the first coding as the second coder met it: 149, before resolution
    assert len(disagreements) == 149 == sum(int(r["disagreements"]) for r in summary)


def test_every_disagreement_has_exactly_one_resolution():
    keys = [(r["table"], r["id"], r["column"]) for r in RES]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(r["table"], r["id"], r["column"]) for r in DIS}
    by = {(r["table"], r["id"], r["column"]): r for r in RES}
    for d in DIS:
        r = by[(d["table"], d["id"], d["column"])]
        assert (r["first"], r["second"]) == (d["first"], d["second"])
        assert r["resolution"] in sca.KINDS and len(r["reason"]) > 20, r


def test_changes_per_column_in_the_summary_count_the_resolutions():
    summary = {(r["table"], r["column"]): r for r in _read(FINDINGS / "second_coder_agreement.csv")}
    for (table, col), s in summary.items():
        rs = [r for r in RES if (r["table"], r["column"]) == (table, col)]
        assert int(s["first_codes_changed"]) == sum(r["resolution"] in sca.CHANGED for r in rs)
        assert int(s["same_meaning"]) == sum(r["resolution"] == "same meaning" for r in rs)
        assert int(s["agree"]) + len(rs) == int(s["rows"])


def test_resolutions_that_change_the_first_coding_are_what_it_now_holds():
    tables = {t: (path, key, dict(cols)) for t, (path, _, key, cols) in sca.TABLES.items()}
    changed = 0
    for r in RES:
        path, key, cols = tables[r["table"]]
        now = {x[key]: x for x in _read(path)}[r["id"]][r["column"]]
        kind = cols[r["column"]]
        assert sca.norm(now, kind) == sca.norm(r["value"], kind), r
        if r["resolution"] == "second adopted":
            assert sca.norm(now, kind) == sca.norm(r["second"], kind), r
        if r["resolution"] in sca.CHANGED:
            assert sca.norm(now, kind) != sca.norm(r["first"], kind), r
            changed += 1
        else:
            assert sca.norm(now, kind) == sca.norm(r["first"], kind), r
    assert changed > 0


def test_each_findings_change_is_in_the_coding_log_with_its_reason():
    log = _read(ROOT / "data" / "holwerda2014" / "coding_log.csv")
    for r in RES:
        if r["resolution"] not in sca.CHANGED:
            continue
        table = {"findings": "findings.csv", "effect_statements": "effect_statements.csv"}[r["table"]]
        hits = [
            x
            for x in log
            if x["table"] == table
            and x["row"] == r["id"]
            and "second coder" in x["reason"]
            and x["column"] in (r["column"], "direction")
        ]
        assert hits, r


def _copy(tmp_path: Path) -> Path:
    """The coding scripts and the tables they read, in a copy (the script writes into the copy's data/)."""
    (tmp_path / "data").mkdir()
    for d in ("findings", "holwerda2014", "nji2020"):
        shutil.copytree(ROOT / "data" / d, tmp_path / "data" / d)
    shutil.copytree(ROOT / "coding", tmp_path / "coding", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda rows: rows[1:], "no resolution of the disagreement"),
        (lambda rows: rows + rows[:1], "a second resolution of the same disagreement"),
        (lambda rows: [dict(rows[0], resolution="agreed")] + rows[1:], "is not one of"),
        (
            lambda rows: [
                dict(r, value="positive") if r["resolution"] == "second adopted" and r["column"] == "claim_type" else r
                for r in rows
            ],
            "is not what the first coding holds",
        ),
    ],
)
def test_the_script_stops_with_one_message_on_bad_resolutions(tmp_path, damage, message):
    root = _copy(tmp_path)
    path = root / "data" / "findings" / "second_coder_resolutions.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=sca.RES_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(damage([dict(r) for r in RES]))
    before = (root / "data" / "findings" / "second_coder_agreement.csv").read_bytes()
    p = subprocess.run(
        [sys.executable, "-m", "coding.findings.second_coder_agreement"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode != 0
    assert message in p.stderr and "Traceback" not in p.stderr and "second_coder_resolutions.csv" in p.stderr
    assert (root / "data" / "findings" / "second_coder_agreement.csv").read_bytes() == before
