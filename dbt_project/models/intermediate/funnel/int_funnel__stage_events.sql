{{ config(materialized='ephemeral') }}
-- Stage events of every lead existing as of D, in the order that builds its stage history
-- (marts.md, "Stage history"): (1) the entry stage at created_at, (2) each follow-up's
-- stage_after at occurred_at, (3) each version's stage at its updated_at, or at closed_at
-- for won and lost when given. Events after the end of D are ignored. event_seq orders a
-- lead's events by time; at equal times (1) before (2) before (3), then within a kind by
-- the follow-up id, or by the version's updated_at, file and row. held_stage is the stage
-- the lead held before the event (NULL for its first): the entries are the events that
-- change it. Both come from one sort of the lead's events, which carries the event's kind
-- rather than its source text (named after the sort).
-- Ephemeral: its one reader, int_funnel__stage_entries, inlines it as a CTE. As a table it
-- cost more to write (8.3 M rows at 10^6 leads: 5.8 s, plus 3.0 s to read back) than
-- stage_entries spends computing the events itself (6.2 s), docs/operations.md.
with leads_as_of as (
    select lead_id, created_at
    from {{ ref('int_leads__as_of') }}
),

creation_events as (
    select
        lead_id,
        '{{ funnel_entry_stage() }}' as stage,
        created_at as event_at,
        1 as event_kind,
        cast(null as {{ dbt.type_timestamp() }}) as version_updated_at,
        cast(null as {{ dbt.type_bigint() }}) as version_load_seq,
        cast(null as {{ dbt.type_int() }}) as version_source_row,
        cast(null as {{ dbt.type_string() }}) as follow_up_id
    from leads_as_of
),

follow_up_events as (
    select
        follow_ups.lead_id,
        follow_ups.stage_after as stage,
        follow_ups.occurred_at as event_at,
        2 as event_kind,
        cast(null as {{ dbt.type_timestamp() }}) as version_updated_at,
        cast(null as {{ dbt.type_bigint() }}) as version_load_seq,
        cast(null as {{ dbt.type_int() }}) as version_source_row,
        follow_ups.follow_up_id
    from {{ ref('stg_crm__follow_ups') }} as follow_ups
    inner join leads_as_of
        on follow_ups.lead_id = leads_as_of.lead_id
    where follow_ups.stage_after is not null
),

version_events as (
    select
        versions.lead_id,
        versions.stage,
        case
            when versions.stage in ('won', 'lost') and versions.closed_at is not null
                then versions.closed_at
            else versions.updated_at
        end as event_at,
        3 as event_kind,
        versions.updated_at as version_updated_at,
        versions._load_seq as version_load_seq,
        versions._source_row as version_source_row,
        cast(null as {{ dbt.type_string() }}) as follow_up_id
    from {{ ref('stg_crm__leads') }} as versions
    inner join leads_as_of
        on versions.lead_id = leads_as_of.lead_id
    where versions.updated_at < {{ as_of_end() }}
),

all_events as (
    select * from creation_events
    union all
    select * from follow_up_events
    union all
    select * from version_events
),

events_until_d as (
    select *
    from all_events
    where event_at < {{ as_of_end() }}
),

events_in_order as (
    -- one sort of the lead's events gives both its order and the stage held before each
    select
        lead_id,
        row_number() over lead_events as event_seq,
        lag(stage) over lead_events as held_stage,
        stage,
        event_at,
        event_kind
    from events_until_d
    window lead_events as (
        partition by lead_id
        order by
            event_at,
            event_kind,
            {{ text_sort_key('follow_up_id') }},
            version_updated_at,
            version_load_seq,
            version_source_row
    )
)

select
    lead_id,
    event_seq,
    stage,
    held_stage,
    event_at,
    event_kind,
    case event_kind
        when 1 then 'created'
        when 2 then 'follow_up'
        else 'version'
    end as event_source
from events_in_order
