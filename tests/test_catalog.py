"""The catalogue of outputs (evsynth.catalog): each table declared once, and what reads it
(the config schema's diagnostics enum, the stages, the Snakemake rules) agrees with it; a
full pipeline run writes exactly catalogued files with the catalogued columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from evsynth import catalog
from evsynth.errors import ConfigError
from evsynth.pipeline.config import config_schema, load_config, validate_config
from evsynth.pipeline.stages import STAGES

ROOT = Path(__file__).resolve().parents[1]


def test_names_and_paths_are_declared_once():
    names = [o.name for o in catalog.OUTPUTS.values()]
    assert len(names) == len(set(names)) == len(catalog.OUTPUTS)
    paths = [(o.root, o.path) for o in catalog.OUTPUTS.values()]
    assert len(paths) == len(set(paths)), [p for p in paths if paths.count(p) > 1]
    # every diagnostic table is an output of the diagnose stage, inside the diagnostics folder
    for d in catalog.DIAGNOSTICS.values():
        for t in d.tables:
            assert catalog.OUTPUTS[t.name] is t and t.stage == "diagnose"
            assert t.path.startswith(catalog.output("diagnostics").path + "/")


def test_every_stage_named_is_a_command():
    commands = {s.name for s in STAGES} | {"workflow"}  # the multiverse key file is the workflow's own
    assert {o.stage for o in catalog.OUTPUTS.values()} <= commands


def test_schema_enum_is_the_registry():
    """The config schema's diagnostics enum is read from the registry (the JSON file holds
    none), so a diagnostic is declared in one place."""
    items = config_schema()["$defs"]["analysis"]["properties"]["diagnostics"]["items"]
    assert items["enum"] == list(catalog.DIAGNOSTICS) == catalog.diagnostic_names()
    raw = json.loads((ROOT / "src/evsynth/pipeline/schemas/config.schema.json").read_text(encoding="utf-8"))
    assert "enum" not in raw["$defs"]["analysis"]["properties"]["diagnostics"]["items"]


def test_an_unknown_diagnostic_is_refused_naming_the_registry():
    cfg = load_config(ROOT / "config.yaml", confine=False)
    cfg["analyses"][0]["diagnostics"] = ["egger", "funnel_magic"]
    with pytest.raises(ConfigError) as exc:
        validate_config(cfg)
    msg = str(exc.value)
    assert "analyses[0].diagnostics[1]: found 'funnel_magic'; allowed: " + ", ".join(catalog.DIAGNOSTICS) in msg


def test_registry_functions_resolve_and_not_run_covers_the_other_model_types():
    from evsynth.pipeline.diagnose import resolve

    for d in catalog.DIAGNOSTICS.values():
        assert callable(resolve(d.function)), d.name
        assert set(d.models) | set(d.not_run) == {"univariate", "multilevel"}, d.name
        assert not set(d.models) & set(d.not_run), d.name


def fake_diagnostic(job, notes):
    """A diagnostic added only in this test: one table of the job's main fit."""
    notes.append({"diagnostic": "fake (part)", "note": "a note from inside"})
    return pd.DataFrame({"k": [job.fit.k], "estimate": [job.fit.estimate]})


def fake_two_tables(job, notes):
    return {"fake": pd.DataFrame(), "fake_extra": pd.DataFrame()}


def test_a_registry_entry_is_all_the_pipeline_needs_to_run_a_diagnostic(monkeypatch):
    """One registry entry (and its function) makes diagnose run it and write its table; a
    function that makes tables other than the catalogued ones is a programming error."""
    from conftest import shipped_effects
    from evsynth.pipeline.diagnose import diagnostic_tables
    from evsynth.pipeline.job import AnalysisJob

    entry = catalog.Diagnostic(
        "fake",
        "a univariate fit",
        "test_catalog:fake_diagnostic",
        (catalog.Output("fake", "{analysis}/diagnostics/fake.csv", "diagnose", "test"),),
    )
    monkeypatch.setitem(catalog.DIAGNOSTICS, "fake", entry)
    cfg, spec, eff = shipped_effects("barlow2014")
    job = AnalysisJob(eff, {**spec, "diagnostics": ["fake", "egger"]}, 95.0)
    t = diagnostic_tables(job)
    assert sorted(t) == ["diagnostic_notes", "egger", "fake"]
    assert t["fake"]["estimate"].iloc[0] == job.fit.estimate
    assert t["diagnostic_notes"].to_dict("records") == [{"diagnostic": "fake (part)", "note": "a note from inside"}]
    monkeypatch.setitem(
        catalog.DIAGNOSTICS, "fake", catalog.Diagnostic("fake", "", "test_catalog:fake_two_tables", entry.tables)
    )
    with pytest.raises(RuntimeError, match="diagnostic fake made"):
        diagnostic_tables(job)


def test_a_stage_writes_exactly_its_catalogued_tables(tmp_path):
    from evsynth.pipeline.stages import write_tables

    names = [o.name for o in catalog.outputs("certainty", kind="csv")]
    assert names == ["certainty", "certainty_reasons", "review_comparison", "published"]
    with pytest.raises(RuntimeError, match="catalogue lists"):
        write_tables(tmp_path, "certainty", {"certainty": pd.DataFrame()})
    assert list(tmp_path.iterdir()) == []
    write_tables(tmp_path, "certainty", {n: pd.DataFrame({"a": [1]}) for n in names})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "certainty.csv",
        "certainty_reasons.csv",
        "published.csv",
        "review_comparison.csv",
    ]


def test_conditional_outputs_follow_the_config():
    no = {"studies": {}, "report": {"pdf": False}}
    yes = {"studies": {"effect_statements": "x.csv", "findings": "y.csv"}}
    got = lambda cfg: {o.name for o in catalog.outputs(cfg=cfg)}  # noqa: E731
    assert {"effect_statements", "effect_direction", "findings", "report_pdf"} <= got(yes)
    assert not {"effect_statements", "effect_direction", "findings", "report_pdf"} & got(no)
    assert [o.name for o in catalog.outputs("multiverse-gather", spec={"multiverse": None})] == []
    assert len(catalog.outputs("multiverse-gather", spec={"multiverse": {"method": ["DL"]}})) == 3
    assert catalog.path("egger", analysis="a") == "a/diagnostics/egger.csv"
    with pytest.raises(KeyError, match="needs analysis"):
        catalog.path("egger")
    with pytest.raises(KeyError, match="no output 'eggers'"):
        catalog.path("eggers", analysis="a")


def test_the_rules_name_no_result_file_themselves():
    """Every output path in the Snakemake rules comes from the catalogue (res()/fig()):
    no rule file spells a results or figures path."""
    for p in sorted((ROOT / "workflow" / "rules").glob("*.smk")) + [ROOT / "Snakefile"]:
        text = p.read_text(encoding="utf-8")
        assert not re.findall(
            r'f"\{(RES|FIG)\}/', text.replace('return f"{RES}/{catalog', "").replace('return f"{FIG}/{catalog', "")
        ), p.name


def test_the_catalogue_in_the_docs_is_current():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split(catalog.DOC_BEGIN, 1)[1].split(catalog.DOC_END, 1)[0]
    assert block == "\n" + catalog.markdown(), "run: python -m evsynth.catalog docs/architecture.md"
    assert all(f"`{name}`" in block for name in catalog.OUTPUTS)


# ------------------------------------------------------------------------------ against a full run


def _template_regex(o: catalog.Output, ids: list[str]) -> re.Pattern:
    pat = re.escape(o.path)
    pat = pat.replace(re.escape("{analysis}"), "(" + "|".join(map(re.escape, ids)) + ")")
    pat = pat.replace(re.escape("{key}"), "[0-9a-f]{12}").replace(re.escape("{chunk}"), r"\d+")
    pat = pat.replace(re.escape("{lang}"), "[a-z]{2}")  # an edition of the report in another language
    return re.compile(pat + "$")


def _in_order(want: tuple, have: list) -> bool:
    it = iter(have)
    return all(c in it for c in want)


def test_a_full_run_writes_catalogued_tables_with_their_columns(first_run):
    """Every file of the results and figures folders is a catalogued output (or an image of
    a figures folder, or a file the output-folder guard keeps), every table has the
    catalogue's columns in order, and every output this config asks for exists."""
    import yaml

    cfg = yaml.safe_load((first_run / "config.yaml").read_text(encoding="utf-8"))
    ids = [a["id"] for a in cfg["analyses"]]
    roots = {"results": first_run / cfg["results_dir"], "figures": first_run / cfg["figures_dir"]}
    pats = [(o, _template_regex(o, ids)) for o in catalog.OUTPUTS.values()]
    for root_name, root in roots.items():
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = f.relative_to(root).as_posix()
            if (
                f.name.startswith(".")
                or ".evsynth" in rel
                or (root_name == "figures" and f.suffix in (".png", ".svg", ".md"))
            ):
                continue
            hits = [o for o, pat in pats if o.root == root_name and pat.match(rel)]
            assert len(hits) == 1, f"{root_name}/{rel}: catalogue entries {[o.name for o in hits]}"
            o = hits[0]
            if o.kind == "csv" and f.stat().st_size > 1:
                header = pd.read_csv(f, nrows=0).columns.tolist()
                assert _in_order(o.columns, header), f"{rel}: {header} lacks {o.columns}"
    for spec in cfg["analyses"]:
        for o in catalog.outputs(cfg=cfg, spec=spec):
            if "{key}" in o.path or o.optional or o.stage == "diagnose" and o.kind != "folder":
                continue
            if "{lang}" in o.path:  # one per language of report.languages besides English
                for lang in set(cfg.get("report", {}).get("languages", ["en"])) - {"en"}:
                    assert (roots[o.root] / catalog.path(o.name, lang=lang)).exists(), (o.name, lang)
                continue
            p = roots[o.root] / catalog.path(o.name, analysis=spec["id"])
            assert p.exists(), p
        declared = spec.get("diagnostics", [])
        notes = pd.read_csv(roots["results"] / catalog.path("diagnostic_notes", analysis=spec["id"]))
        for d in declared:
            made = [
                (roots["results"] / catalog.path(t.name, analysis=spec["id"])).exists()
                for t in catalog.DIAGNOSTICS[d].tables
            ]
            assert all(made) or d in notes["diagnostic"].tolist(), (spec["id"], d)
