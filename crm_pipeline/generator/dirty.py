"""Deliberate faults: make one row invalid the way hand-kept exports are (``--dirty-rate``)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from crm_pipeline.generator.options import Row
from crm_pipeline.generator.vocabulary import (
    BAD_CHANNEL,
    BAD_SATISFACTION,
    BAD_SERVICE_TYPE,
    BAD_STAGE,
    BAD_TIMESTAMPS,
)

if TYPE_CHECKING:  # the simulator calls these functions: import its Lead for typing only
    from crm_pipeline.generator.simulator import Lead


def dirty_lead(row: Row, lead: Lead, rng: random.Random, lost_stage: str) -> None:
    """Make one lead version invalid the way hand-kept exports are."""
    faults = ["missing", "missing", "bad_stage", "negative_budget", "bad_date"]
    if lead.stage == lost_stage:
        faults += ["no_loss_reason", "no_loss_reason"]
    fault = rng.choice(faults)
    if fault == "missing":
        row[rng.choice(("source", "requirement", "budget", "contact_name", "owner"))] = ""
    elif fault == "bad_stage":
        row["stage"] = BAD_STAGE
    elif fault == "negative_budget":
        row["budget"] = f"-{lead.budget}"
    elif fault == "bad_date":
        row["created_at"] = rng.choice(BAD_TIMESTAMPS)
    else:
        row["loss_reason"] = ""


def dirty_follow_up(row: Row, rng: random.Random) -> None:
    """Make one follow-up invalid: no time, unknown channel, unknown lead, bad date, no owner."""
    fault = rng.choice(("missing_time", "bad_channel", "orphan", "bad_date", "no_owner"))
    if fault == "missing_time":
        row["occurred_at"] = ""
    elif fault == "bad_channel":
        row["channel"] = BAD_CHANNEL
    elif fault == "orphan":
        row["lead_id"] = f"OPP-9{rng.randrange(10**9):09d}"
    elif fault == "bad_date":
        row["occurred_at"] = rng.choice(BAD_TIMESTAMPS)
    else:
        row["owner"] = ""


def dirty_service(row: Row, kind: str, rng: random.Random) -> None:
    """Make one service record invalid (a renewal may also get a negative amount)."""
    faults = ["satisfaction", "satisfaction", "no_agent", "bad_type", "bad_date"]
    if kind == "renewal":
        faults.append("negative_renewal")
    fault = rng.choice(faults)
    if fault == "satisfaction":
        row["satisfaction"] = BAD_SATISFACTION
    elif fault == "no_agent":
        row["agent"] = ""
    elif fault == "bad_type":
        row["type"] = BAD_SERVICE_TYPE
    elif fault == "bad_date":
        row["opened_at"] = rng.choice(BAD_TIMESTAMPS)
    else:
        row["renewal_amount"] = f"-{rng.randrange(1, 100) * 1000}"
