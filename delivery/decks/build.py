"""Build both decks from the serving database: ``WAREHOUSE/reports/<D>/*_deck.pptx|html``.

Only the published serving file is read (opened read-only), never the build database,
so the decks show exactly what BI tools see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from core.labels import Language, check_language
from delivery.decks.common import Context
from delivery.decks.customer import build_customer_deck
from delivery.decks.data import open_serving, serving_as_of
from delivery.decks.html_writer import write_html
from delivery.decks.model import Deck
from delivery.decks.opportunity import build_opportunity_deck
from delivery.decks.pptx_writer import write_pptx

DECK_NAMES = ("opportunity_deck", "customer_deck")


@dataclass
class DeckFiles:
    """What one deck build wrote, with the headline numbers (for metadata and chat)."""

    as_of_date: dt.date
    report_dir: Path
    files: dict[str, Path] = field(default_factory=dict)  # "opportunity_deck.pptx" -> path
    headlines: dict[str, dict[str, str]] = field(default_factory=dict)  # deck -> label -> value
    titles: dict[str, str] = field(default_factory=dict)


def build_deck_objects(
    serving_db: Path, language: Language = "zh", as_of_date: dt.date | None = None
) -> list[Deck]:
    """Both decks as objects (no files), from the serving file opened read-only.

    ``as_of_date`` must be the date the serving file holds (the marts hold one D): asking
    for another date is an error naming both dates.
    """
    language = check_language(language)
    with open_serving(serving_db) as con:
        held = serving_as_of(con)
        if as_of_date is not None and held is not None and as_of_date != held:
            raise ValueError(
                f"the serving database {serving_db} holds the build as of {held}, not "
                f"{as_of_date}: build and publish {as_of_date} first"
            )
        ctx = Context(con, language, as_of_date or held)
        return [build_opportunity_deck(ctx), build_customer_deck(ctx)]


def build_decks(
    serving_db: Path,
    reports_dir: Path,
    language: Language = "zh",
    as_of_date: dt.date | None = None,
) -> DeckFiles:
    """Write ``reports_dir/<D>/{opportunity,customer}_deck.{pptx,html}``; return the paths."""
    decks = build_deck_objects(serving_db, language, as_of_date)
    day = decks[0].as_of_date or as_of_date or dt.date.today()
    folder = reports_dir / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    result = DeckFiles(day, folder)
    for deck in decks:
        for suffix, writer in (("pptx", write_pptx), ("html", write_html)):
            name = f"{deck.deck_id}.{suffix}"
            result.files[name] = writer(deck, folder / name)
        result.headlines[deck.deck_id] = deck.headline
        result.titles[deck.deck_id] = deck.title
    return result
