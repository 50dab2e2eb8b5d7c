"""Adds to a language's message catalog every text the report met without a translation.

    .venv/bin/python scripts/report_messages.py nl      # after `make report`

Writes that edition (to a temporary folder) from results/ and figures/ (the config's
analyses, so titles, questions and the other texts the config gives are included), draws every
analysis' figures in that language (to a temporary folder, from results/: titles, axis labels,
legends), and appends each message without a translation to
src/evsynth/present/locale/<lang>/LC_MESSAGES/evsynth.po with an empty msgstr, for a
translator to fill in.  Existing entries are kept as they are.  A message with an empty
msgstr stays untranslated (shown in English) and fails tests/present/test_report_languages.py.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from evsynth.pipeline.config import load_config
from evsynth.present import i18n
from evsynth.present.report import write_report

ROOT = Path(__file__).resolve().parents[1]


def main(lang: str) -> None:
    cfg = load_config(ROOT / "config.yaml")
    cfg = {**cfg, "report": {**(cfg.get("report") or {}), "languages": [lang]}}
    with tempfile.TemporaryDirectory() as tmp:  # the whole edition, page texts included
        os.environ.setdefault("EVSYNTH_ALLOW_DIRS", tmp)  # output outside the project, allowed explicitly
        write_report(
            cfg,
            ROOT / cfg.get("results_dir", "results"),
            ROOT / cfg.get("figures_dir", "figures"),
            Path(tmp) / "report.html",
            None,
        )
        missing = list(i18n.missing(lang))
        missing += _figure_messages(cfg, lang, Path(tmp) / "figures")
    missing = list(dict.fromkeys(missing))
    po = ROOT / "src" / "evsynth" / "present" / "locale" / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with po.open("rb") as f:
        cat = read_po(f, locale=lang, domain=i18n.DOMAIN)
    added = [m for m in missing if m not in cat]
    for m in added:
        cat.add(m, "")
    with po.open("wb") as f:
        write_po(f, cat, width=0, omit_header=False, sort_output=False)
    print(
        f"{po.relative_to(ROOT)}: {len(added)} message(s) added without a translation, "
        f"{len(missing) - len(added)} already listed but empty"
    )


def _figure_messages(cfg: dict, lang: str, out: Path) -> list[str]:
    """The texts without a translation met when drawing each analysis' figures in ``lang``."""
    from evsynth.pipeline.multiverse import dimensions
    from evsynth.present.figures import analysis_figures

    results = ROOT / cfg.get("results_dir", "results")
    found: list[str] = []
    for spec in cfg["analyses"]:
        if not (results / spec["id"] / "figure_forest.csv").is_file():
            continue
        analysis_figures(
            spec,
            results / spec["id"],
            out / spec["id"],
            multiverse_dimensions=dimensions(spec) if spec.get("multiverse") else None,
            languages=[lang],
        )
        found += i18n.missing(lang)  # (the language block of each analysis starts a new list)
    return found


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in i18n.LANGUAGES or sys.argv[1] == "en":
        sys.exit("usage: report_messages.py LANG (one of: " + ", ".join(x for x in i18n.LANGUAGES if x != "en") + ")")
    main(sys.argv[1])
