{{ changed_records_config(
    'lead_id', "lead_version_keys()", row_key=['_load_seq', '_loaded_at', '_source_row', 'updated_at']
) }}
-- Every version of every lead known by the end of D, with the time until which it was the
-- lead's current version: superseded_at is the updated_at of the version that follows it
-- in the order of int_leads__as_of (lead_version_order: updated_at, then the later file,
-- then the later row); NULL for the lead's latest version, which is current at the end of
-- D. The version a lead stood at, at an instant T no later than the end of D, is the one
-- with updated_at < T <= coalesce(superseded_at, end of D): weekly_kpis and
-- forecast_accuracy read it so, with one range join.
-- Incremental (macros/changed_records.sql): a lead's rows are a function of the versions
-- picked for it (stg_crm__leads cut at the end of D), so a daily run compares those
-- versions' keys with the ones the table holds and rebuilds only the leads whose versions
-- changed, where each mart sorted all 3.7 M versions of 10^6 leads again every build.
-- The latest version's end is left NULL, not the end of D, so that a new D alone moves
-- no row.
with versions_until_d as (
    select
        lead_id,
        stage,
        amount,
        probability,
        expected_close_date,
        updated_at,
        _load_seq,
        _loaded_at,
        _source_row
    from {{ ref('stg_crm__leads') }} as versions
    where updated_at < {{ as_of_end() }}
      and {{ only_changed_records('versions', 'lead_id') }}
)

select
    lead_id,
    stage,
    amount,
    probability,
    expected_close_date,
    updated_at,
    lag(updated_at) over (
        partition by lead_id order by {{ lead_version_order() }}
    ) as superseded_at,
    _load_seq,
    _loaded_at,
    _source_row
from versions_until_d
