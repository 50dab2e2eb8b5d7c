"""The catalogue as Markdown for ``docs/architecture.md``: :func:`markdown` (every output;
every diagnostic) and :func:`write_doc`, which rewrites the block between :data:`DOC_BEGIN`
and :data:`DOC_END` (``python -m evsynth.catalog docs/architecture.md``; a test checks the
page is current)."""

from __future__ import annotations

from evsynth.catalog.diagnostics import DIAGNOSTICS
from evsynth.catalog.query import OUTPUTS

__all__ = ["DOC_BEGIN", "DOC_END", "markdown", "write_doc"]

DOC_BEGIN, DOC_END = "<!-- catalog: begin (python -m evsynth.catalog docs/architecture.md) -->", "<!-- catalog: end -->"


def markdown() -> str:
    """The catalogue as two Markdown tables (every output; every diagnostic), for
    ``docs/architecture.md`` (``python -m evsynth.catalog docs/architecture.md`` rewrites the
    block between :data:`DOC_BEGIN` and :data:`DOC_END`; a test checks it is current)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| name | file | stage | columns (always) | meaning |", "|---|---|---|---|---|"]
    for o in OUTPUTS.values():
        where = f"{o.root}/{o.path}" + ("/" if o.kind == "folder" else "")
        of = " of the analysis" if o.when and o.when[0] == "analysis" else ""
        when = (
            ""
            if not o.when
            else f" (unless `{o.when[1]}` is false)"
            if o.default
            else f" (when `{o.when[1]}`{of} is set)"
        )
        cols = ", ".join(o.columns) if o.columns else ""
        lines.append(f"| `{o.name}` | `{where}` | {o.stage} | {cell(cols)} | {cell(o.meaning)}{when} |")
    lines += ["", "| diagnostic | needs | model types | tables | function |", "|---|---|---|---|---|"]
    for d in DIAGNOSTICS.values():
        small = "; from `small_study_min_k` studies" if d.small_study else ""
        lines.append(
            f"| `{d.name}` | {cell(d.needs)}{small} | {', '.join(d.models)} | "
            f"{', '.join(f'`{t.name}`' for t in d.tables)} | `{d.function}` |"
        )
    return "\n".join(lines) + "\n"


def write_doc(path: str) -> None:
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    head, rest = text.split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    p.write_text(f"{head}{DOC_BEGIN}\n{markdown()}{DOC_END}{tail}", encoding="utf-8")
