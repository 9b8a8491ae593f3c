"""Make the decks and, when asked or due, send them: what the CLI and the Dagster asset call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.labels import Language
from core.settings import Settings
from delivery.alerts import DeliveryResult
from delivery.decks.build import DeckFiles, build_decks
from delivery.decks.data import open_serving
from delivery.decks.send import due_decks, send_decks, send_owner_digests


@dataclass
class DeckRun:
    files: DeckFiles
    sent_decks: list[str] = field(default_factory=list)
    results: list[DeliveryResult] = field(default_factory=list)


def published_by(serving_db: Path, run_id: str) -> bool:
    """Whether the serving file is the one run ``run_id`` published (a blocked run's is not)."""
    if not serving_db.exists():
        return False
    with open_serving(serving_db) as con:
        try:
            row = con.execute(
                "select count(*) from data_quality.publish_log "
                "where run_id = ? and status = 'published'",
                [run_id],
            ).fetchone()
        except duckdb.CatalogException:
            return False
    return bool(row and row[0])


def make_decks(
    serving_db: Path,
    reports_dir: Path,
    settings: Settings,
    *,
    as_of_date: dt.date | None = None,
    language: Language | None = None,
    send: bool | None = None,
) -> DeckRun:
    """Write both decks; send them when ``send`` is True, or when the cadence says so and
    ``send`` is None (after a scheduled build). Owners get their digest with every send of
    the opportunity deck."""
    files = build_decks(serving_db, reports_dir, language or settings.reports.language, as_of_date)
    run = DeckRun(files)
    if send is None:
        decks = due_decks(settings, files.as_of_date) if settings.reports.send else []
    else:
        decks = ["opportunity_deck", "customer_deck"] if send else []
    if decks:
        run.sent_decks = decks
        run.results = send_decks(settings, files, decks)
        if "opportunity_deck" in decks:
            run.results += send_owner_digests(settings, serving_db, files.as_of_date)
    return run
