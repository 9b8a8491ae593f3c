"""Synthetic CRM landing data: leads (with versions), follow-ups and service records.

The demo and the tests need a landing folder that looks like real CRM exports (Chinese
company and person names, realistic funnel behaviour, messy-but-valid formatting) and that
can be made arbitrarily large without the generator's memory growing with it.

Layout written by :func:`generate`::

    OUT/leads/<YYYY-MM-DD>.<ext>            every version of every lead changed that day
    OUT/follow_ups/<YYYY-MM-DD>.<ext>       follow-ups that occurred that day
    OUT/service_records/<YYYY-MM-DD>.<ext>  service records opened that day

Everything about columns comes from the source contract (``core/contract.yaml``): the
column lists and their order, the Chinese header names (each column's first alias) and the
Chinese enumeration values. The generator only knows the *behaviour* of the business
(how leads move through stages, which sources convert better, ...).

How it scales (streaming): each lead is simulated on its own, from its own random stream
derived from ``(seed, lead number)``, so no lead needs another lead's state. Leads are
simulated in creation order; every row they produce is routed to the day it belongs to and
buffered. When the buffer holds ``spill_batch_rows`` rows it is appended to per-day spill
files in a temporary folder (one file per entity and day, opened one at a time). At the
end each day's spill is read back, sorted by time, and written as the final file. Peak
memory is therefore bounded by the spill batch plus one day's rows of one entity, never by
the number of leads. (At 10 million leads over 90 days one day holds roughly 100 000 leads'
versions, which is a few hundred MB in the worst case; realistic demo sizes are far below.)

Determinism: only ``random.Random`` instances seeded from the options are used (never the
global generator, never the wall clock, never set or hash ordering), and xlsx archives are
rewritten with fixed timestamps, so the same options give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from core.contract import load_contract
from crm_pipeline.generator.options import (
    DEFAULT_SPILL_BATCH_ROWS,
    ENTITIES,
    PROGRESS_EVERY_LEADS,
    GenerationSummary,
    GeneratorOptions,
    validate_options,
)
from crm_pipeline.generator.simulator import Simulator
from crm_pipeline.generator.vocabulary import generation_strings
from crm_pipeline.generator.writers import Spool, write_days

__all__ = ["ENTITIES", "GenerationSummary", "GeneratorOptions", "generate", "generation_strings"]


def generate(
    out_dir: Path,
    options: GeneratorOptions,
    progress: Callable[[str], None] | None = None,
    *,
    spill_batch_rows: int = DEFAULT_SPILL_BATCH_ROWS,
) -> GenerationSummary:
    """Write a synthetic landing folder under ``out_dir`` and say what was written.

    Files are ``out_dir/<entity>/<YYYY-MM-DD>.<ext>``, one per entity and day that has rows,
    each holding only rows whose version/event time falls on that day, sorted by time.
    Existing files with the same names are replaced (atomically); other files are left
    alone. ``spill_batch_rows`` bounds the rows buffered in memory before they are spilled
    to disk (tests lower it to prove the output does not depend on batching).
    """
    validate_options(options)
    say = progress or (lambda _message: None)
    contract = load_contract()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spill_dir = Path(tempfile.mkdtemp(prefix=".generate-spill-", dir=out_dir))
    try:
        spool = Spool(spill_dir, spill_batch_rows)
        sim = Simulator(contract, options, spool)
        index = 0
        for offset, count in enumerate(sim.lead_counts()):
            day = options.start + dt.timedelta(days=offset)
            for _ in range(count):
                sim.simulate_lead(index, day)
                index += 1
                if index % PROGRESS_EVERY_LEADS == 0:
                    say(f"simulated {index:,} of {options.leads:,} leads")
        # legacy customers (no lead at all): about 10% of all service records
        target = round(sim.customer_services / 9) if options.leads else 0
        if options.service_ratio is not None:
            # the spec's volume: more legacy customers until the ratio is reached
            wanted = round(options.service_ratio * options.leads) - sim.customer_services
            target = max(target, wanted)
        legacy, written = 0, 0
        while written < target:
            written += sim.simulate_legacy(legacy)
            legacy += 1
        say(f"simulated {options.leads:,} leads and {legacy:,} legacy customers")
        spool.flush()
        files = write_days(out_dir, options, contract, spool, say)
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)
    return GenerationSummary(
        out_dir=out_dir, files=files, rows=dict(sim.rows), dirty_rows=dict(sim.dirty)
    )
