"""The NJI (2020) text: interventions, review findings, Klaassen-Vermaat categories (data/nji2020/)."""
