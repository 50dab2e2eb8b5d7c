"""Outcome domains of the coded evidence, and the keyword rules that code a Dutch
outcome statement into a domain (used for the coded study table and the extraction
template; reviewers may correct any coded domain by hand)."""

from __future__ import annotations

import re

__all__ = ["DOMAINS", "DOMAIN_KEYWORDS", "domains_of", "domain_of"]

DOMAIN_KEYWORDS = {
    "family functioning": r"gezinsfunctioneren|gezinscohesie|conflicten in het gezin|gezinsstructuur|partnerrelatie|onenigheid met partner|gezinsrelaties|huiselijke chaos|huishoudelijke chaos",
    "parenting": r"opvoed|ouderschap|ouderlijk|ouderrol|sensitiviteit|responsiviteit|moeder-kind|moeder–kind|ouder-kind|ouder–kind|hechting|betrokkenheid moeder|bekwaamheid",
    "parent mental health": r"depressie|stress|psychopathologie|psychische|geestelijke gezondheid|middelengebruik moeder|drugsgebruik|angst|zelfrespect|zelfvertrouwen|stemming van de moeder",
    "child behaviour": r"gedrag kind|gedragsproblemen|externaliserend|internaliserend|agressie|hyperactiv|antisociaal|sociale vaardigheden|storend gedrag|zelfbeheersing",
    "maltreatment/neglect": r"mishandel|verwaarlozing|kinderbescherming|meldingen|melding|huiselijk geweld|fysiek geweld|straffen",
    "child development/health": r"ontwikkeling|gezondheid van het kind|gezondheid kind|vaccinat|verwonding|taal|motorisch|cognitie|cognitieve|leesvaardig|school|ziekenhuis",
    "service use": r"uithuisplaatsing|pleegzorg|residentiele|residentiële|diensten|voorzieningen|spoedopvang|aantal kinderen in zorg|plaatsingen",
    "socio-economic": r"inkomen|werkloos|(?<!maatschappelijk )werk\b|arbeidsparticipatie|zelfvoorzienend|uitkering|armoede|huisvesting|financi|opleidingsniveau|tewerkstelling|economisch",
}
DOMAINS = list(DOMAIN_KEYWORDS)


def domains_of(text: str) -> list[str]:
    low = (text or "").lower()
    return [d for d, pat in DOMAIN_KEYWORDS.items() if re.search(pat, low)]


def domain_of(text: str) -> str:
    """The first matching domain, or '' when none matches."""
    d = domains_of(text)
    return d[0] if d else ""
