"""`crm-pipeline accept FILE`: FILE may be the path a user has at hand (the landing folder's
own path, or an absolute one), not only the landing-relative path the gate records."""

from __future__ import annotations

from crm_pipeline.cli import holding_file

HOLDING = ["leads/2026-10-03.csv", "follow_ups/2026-10-03.csv"]


def test_a_path_ending_in_one_holding_file_names_it() -> None:
    assert holding_file("L2/leads/2026-10-03.csv", HOLDING) == "leads/2026-10-03.csv"
    assert holding_file("/data/crm/landing/follow_ups/2026-10-03.csv", HOLDING) == (
        "follow_ups/2026-10-03.csv"
    )


def test_the_recorded_path_is_kept() -> None:
    assert holding_file("leads/2026-10-03.csv", HOLDING) == "leads/2026-10-03.csv"


def test_a_bare_name_or_another_file_is_not_guessed() -> None:
    # "2026-10-03.csv" alone fits both entities, and a suffix must start at a folder
    assert holding_file("2026-10-03.csv", HOLDING) == "2026-10-03.csv"
    assert holding_file("x/old-leads/2026-10-03.csv", HOLDING) == "x/old-leads/2026-10-03.csv"
    assert holding_file("L2/leads/2026-10-04.csv", HOLDING) == "L2/leads/2026-10-04.csv"
