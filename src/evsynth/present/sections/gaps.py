"""The evidence gap map and the effect direction (SWiM)."""

from __future__ import annotations

from evsynth.present.context import table_path
from evsynth.present.i18n import _, current
from evsynth.present.sections.summary import NOT_AVAILABLE
from evsynth.present.document import M, Figure, Section, TableBlock, Text

__all__ = ["gaps_section", "figure_file"]


def gaps_section(ctx: dict) -> list[Section]:
    """What is not known: what the data cannot tell, and the evidence gap map (main report); the
    effect direction of the Bijlage 5 statements (technical appendix)."""
    out = [
        Section(
            "gaps",
            _("What is not known"),
            [
                Text(M("{}", _(NOT_AVAILABLE))),
                Text(
                    M(
                        _(
                            "Studies per outcome domain and intervention type. A study counts for a domain when one of its outcome "
                            "measures (or an outcome with a reported effect) falls in it, by a written outcome-domain dictionary "
                            "(coder decisions in the coding log of the review's tables).{}"
                        ),
                        M(_(" The least studied: {}."), ctx["least_studied"]) if ctx["least_studied"] else "",
                    )
                ),
                TableBlock(
                    [
                        ("domain", _("outcome domain")),
                        ("n", _("studies measuring it")),
                        ("n_effect", _("of which with an effect statement in it")),
                    ],
                    [dict(r, domain=_(r["domain"])) for r in ctx["outcome_domains"]],
                ),
                Figure(figure_file(ctx["figures"] / "studies", "evidence_gap_map"), _("Evidence gap map")),
            ],
            new_page=True,
            nav=_("What is not known"),
        )
    ]
    if not ctx["T"].get(table_path("studies/effect_direction")).empty:
        out.append(
            Section(
                "effect-direction",
                _("Effect direction (SWiM)"),
                [
                    Text(
                        M(
                            _(
                                "Statements of the Bijlage 5 effectiveness column by intervention type and outcome domain and by "
                                "direction (<code>results/studies/effect_direction.csv</code>). The arrows were lost in the source "
                                "text: a direction is shown only where the statement's own words or the review's chapter text "
                                "state it; everything else is counted as unknown."
                            )
                        )
                    ),
                    Figure(
                        figure_file(ctx["figures"] / "studies", "effect_direction"),
                        _(
                            "Effect direction of the Bijlage 5 statements by intervention type and outcome domain "
                            "(unknown = arrow lost in the source, not guessed)"
                        ),
                    ),
                ],
                part="appendix",
                nav=_("Effect direction"),
            )
        )
    return out


def figure_file(folder, stem: str):
    """``folder/<stem>.<lang>.png`` in the current language when the figures stage drew it, else
    ``folder/<stem>.png``."""
    own = folder / f"{stem}.{current()}.png"
    return own if current() != "en" and own.is_file() else folder / f"{stem}.png"
