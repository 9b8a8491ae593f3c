"""Freshness policies on the mart assets: the UI flags marts the daily build left behind.

The schedule rebuilds every mart once a day, so a mart last materialised more than 26
hours ago is late (warn: one day plus the build's own duration and a late start) and more
than 50 hours ago has missed a whole day (fail: two schedule ticks missed, e.g. the daemon
is down or two builds failed in a row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import dagster as dg

MART_GROUPS = frozenset({"opportunity_funnel", "customer_lifecycle"})
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=50), warn_window=dt.timedelta(hours=26)
)


def _with_mart_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    if spec.group_name in MART_GROUPS:
        return dg.apply_freshness_policy(spec, MART_FRESHNESS)
    return spec


def with_mart_freshness(assets: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The dbt assets with the freshness policy on every mart model (groups = dbt folders)."""
    mapped: Sequence[dg.AssetsDefinition | dg.AssetSpec] = dg.map_asset_specs(
        _with_mart_freshness, [assets]
    )
    result = mapped[0]
    assert isinstance(result, dg.AssetsDefinition)
    return result
