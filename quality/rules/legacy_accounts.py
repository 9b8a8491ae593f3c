"""``legacy_account`` (counted only): service records of customers no lead knows.

spec/quality.md allows them — customers from before the CRM — so they are never
quarantined; the count goes to ``check_results`` (as passed) so a sudden rise is visible.
"""

from __future__ import annotations

import duckdb

from core.contract import Entity, load_contract
from core.rules import Rule
from quality.rules.new_rows import FAILURES, new_rows_table


def legacy_account_failures(con: duckdb.DuckDBPyConnection, entity: Entity) -> bool:
    """Count (never quarantine) event rows whose account no lead knows: legacy customers.

    Applies to event entities that name an account (service records); the account key is
    the loader's ``_account_key`` on both sides. Returns whether the entity was checked.
    """
    names = set(entity.column_names)
    if entity.kind != "event" or not names & {"account_id", "account_name"}:
        return False
    versioned = [e.name for e in load_contract().entities.values() if e.kind == "versioned"]
    if not versioned:
        return False
    known = " union ".join(
        f"select _account_key from raw.{name} where _account_key is not null" for name in versioned
    )
    con.execute(
        f"""
        insert into {FAILURES}
        select '{entity.name}', new_rows._row_id, '{Rule.LEGACY_ACCOUNT}', 'account_key',
               'account unknown to the leads: a legacy customer (allowed, counted)',
               'sql', 'warn'
        from {new_rows_table(entity.name)} as new_rows
        where new_rows._account_key is not null
          and not exists (
              select 1 from ({known}) as known_accounts
              where known_accounts._account_key = new_rows._account_key)
        """
    )
    return True
