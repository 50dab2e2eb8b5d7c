"""The HTML edition: one self-contained page (figures embedded, tables linked), laid out
from the report's sections by a Jinja2 template with autoescaping."""

from __future__ import annotations

import base64
from importlib import resources
from pathlib import Path

import jinja2

from evsynth.present.document import Section

__all__ = ["render_html"]


def _img(path: Path) -> str:
    if not path.exists():
        return ""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")



def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(lambda name: resources.files("evsynth.present").joinpath(f"templates/{name}").read_text(
        encoding="utf-8"))
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def _kind(block) -> str:
    return type(block).__name__


def render_html(ctx: dict, sections: list[Section]) -> str:
    shown = [s for s in sections if "html" in s.editions]
    return _env().get_template("report.html.j2").render(
        title=ctx["title"], version=ctx["version"], sections=shown, kind=_kind, img=_img,
        nav=[s for s in shown if s.level == 2])

