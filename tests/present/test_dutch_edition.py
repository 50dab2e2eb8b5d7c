"""The Dutch edition's own rules (issue 27 item 4), checked without a pipeline run: GRADE's
statements in the cited wording, the sentences the stages write read fragment by fragment, and
the files of every edition (each language's technical appendix beside its main report).

The GRADE wording is Santesso et al. (2020), GRADE guidelines 26, J Clin Epidemiol 119:126-135,
Table 2 (the English hedges: none for high certainty, "probably", "may", "uncertain"); the Dutch is
this project's translation of it (no published Dutch template of the statements could be cited:
docs/certainty.md), written out below as the table the report's methods print."""

from __future__ import annotations

from pathlib import Path

import pytest

from evsynth.present import i18n
from evsynth.present.context import grade_statement
from evsynth.present.generated import FRAGMENTS, notation, words
from evsynth.present.report import report_files
from evsynth.review.grade import statement

# certainty level -> (Santesso et al. 2020, Table 2: the word that carries the certainty, none for
# high certainty; Dutch)
WORDING = {
    4: ("", "leidt tot"),
    3: ("probably", "leidt waarschijnlijk tot"),
    2: ("may", "leidt mogelijk tot"),
    1: ("uncertain", "We zijn zeer onzeker of"),
}
HEDGES = [d for _e, d in WORDING.values()]


def _row(level: int, estimate: float, interpretation: str = "improvement") -> dict:
    spec = {"direction": {"interpretation": interpretation}, "effect": {"measure": "SMD"}}
    args = (level, estimate, 0.2, interpretation, "family help", "family functioning")
    return {
        "statement": statement(*args),
        "spec": spec,
        "level": level,
        "estimate": estimate,
        "mid": 0.2,
        "intervention": "family help",
        "outcome": "family functioning",
    }


@pytest.mark.parametrize("level", [4, 3, 2, 1])
@pytest.mark.parametrize("estimate", [0.1, 0.3, 0.6, 1.0, -0.6])  # little or no difference, slight, plain, large, harm
def test_each_certainty_level_has_the_cited_wording_in_both_editions(level, estimate):
    g = _row(level, estimate)
    english, dutch = WORDING[level]
    hedged = [w for e, _d in WORDING.values() if e and (w := e) in g["statement"]]
    assert hedged == ([english] if english else []), g["statement"]
    with i18n.language("nl"):
        nl = grade_statement(g)
        # every word is the catalog's but the two names, which come from the config
        assert set(i18n.missing("nl")) <= {"family help", "family functioning"}, i18n.missing("nl")
    # the hedge of this level and no other ("leidt waarschijnlijk tot" contains no "leidt tot"; the
    # very-low statement names the effect with the plain verb: "... of X leidt tot verbetering van Y")
    assert dutch in nl, nl
    allowed = {dutch, "leidt tot"} if level == 1 else {dutch}
    assert [h for h in HEDGES if h in nl and h not in allowed] == [], nl
    if level == 1:  # very low: no size and no direction of the effect
        assert nl.startswith("We zijn zeer onzeker of") and "bewijskracht is zeer laag" in nl
    elif abs(estimate) < 0.2:
        assert "weinig of geen verschil" in nl
    elif estimate < 0:
        assert "verslechtering" in nl


def test_the_methods_of_both_editions_cite_the_source_of_the_dutch_wording():
    from evsynth.present.sections.methods import GRADE_METHODS

    en = GRADE_METHODS[0]
    with i18n.language("nl"):
        nl = i18n._(en)
    for text in (en, nl):
        assert "Santesso" in text and "2020" in text and "126-135" in text
        for _english, dutch in WORDING.values():
            assert dutch.lower() in text.lower(), dutch
    assert "own translation" in en and "eigen vertaling" in nl
    assert "Kennisinstituut" not in nl  # no source is claimed that was not read


def test_generated_sentences_are_read_fragment_by_fragment_with_dutch_numbers():
    reason = (
        "I² = 30.8 %; the prediction interval -0.11 to 0.67 crosses no effect while the CI does not; "
        "Egger's test p = 0.009 < .10"
    )
    assert words(reason) == reason  # English: as the stage wrote it
    with i18n.language("nl"):
        nl = words(reason)
        assert i18n.missing("nl") == []
    assert nl == (
        "I² = 30,8 %; het voorspellingsinterval -0,11 tot 0,67 omvat geen effect terwijl het BI dat niet doet; "
        "Egger-toets p = 0,009 < 0,10"
    )


def test_a_nested_note_is_read_through_and_an_unknown_form_is_a_missing_message():
    note = (
        "programme (derived) = HNC: not pooled (Parenting programmes (AHRQ): 1 study; a multilevel model "
        "is fitted from 3 studies on (minimum k for this analysis type))"
    )
    with i18n.language("nl"):
        nl = words(note)
        assert i18n.missing("nl") == []
        assert nl.startswith("programma (afgeleid) = HNC: niet gepoold (") and "1 studie; een multilevelmodel" in nl
        odd = "a form no stage writes yet: 0.5"
        assert words(odd) == odd  # shown in English, and recorded
        assert i18n.missing("nl") == [odd]


def test_every_fragment_has_a_dutch_translation_with_the_same_fields():
    import re

    cat = i18n.catalog("nl")
    for form in FRAGMENTS:
        assert form in cat._catalog, form
        assert sorted(re.findall(r"\{\w+\}", cat.gettext(form))) == sorted(re.findall(r"\{\w+\}", form)), form


def test_numbers_of_data_files_in_the_language_notation():
    assert notation("0.2667") == "0.2667"
    with i18n.language("nl"):
        assert [notation(x) for x in ("0.2667", "-1.5", "12", "RCT", "0.5 (d)")] == [
            "0,2667",
            "-1,5",
            "12",
            "RCT",
            "0.5 (d)",
        ]


def test_each_language_has_its_appendix_beside_its_main_report(tmp_path):
    cfg = {"report": {"languages": ["en", "nl"]}}
    files = report_files(cfg, tmp_path / "report.html", tmp_path / "report.pdf")
    assert files == {
        ("en", "main"): (tmp_path / "report.html", tmp_path / "report.pdf"),
        ("en", "appendix"): (tmp_path / "appendix.html", tmp_path / "appendix.pdf"),
        ("nl", "main"): (tmp_path / "nl" / "report.html", tmp_path / "nl" / "report.pdf"),
        ("nl", "appendix"): (tmp_path / "nl" / "appendix.html", tmp_path / "nl" / "appendix.pdf"),
    }
    only_en = report_files({"report": {"languages": ["en"]}}, Path("r/report.html"), None)
    assert set(only_en) == {("en", "main"), ("en", "appendix")}


def test_the_catalogue_declares_every_file_of_the_editions():
    from evsynth import catalog

    paths = {o.path for o in catalog.OUTPUTS.values()}
    assert {"report.html", "appendix.html", "{lang}/report.html", "{lang}/appendix.html"} <= paths
    assert {"report.pdf", "appendix.pdf", "{lang}/report.pdf", "{lang}/appendix.pdf"} <= paths
