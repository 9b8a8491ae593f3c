-- Stage entries of every lead as of D (marts.md, "Stage history"): an event whose stage
-- equals the stage already held is not an entry; an entry exits at the next entry's time,
-- the current (last) entry has no exit. skipped_stage_count counts open stages jumped over
-- on the way forward (a plausibility warning in quality.md), 0 otherwise.
with stage_events as (
    select * from {{ ref('int_funnel__stage_events') }}
),

entry_events as (
    select
        lead_id,
        event_seq,
        stage,
        event_at as entered_at,
        event_source as entered_via
    from stage_events
    where held_stage is null or held_stage <> stage
),

entries_in_order as (
    select
        lead_id,
        row_number() over (partition by lead_id order by event_seq) as entry_number,
        stage,
        entered_at,
        entered_via,
        lead(entered_at) over (partition by lead_id order by event_seq) as exited_at,
        lag(stage) over (partition by lead_id order by event_seq) as previous_stage
    from entry_events
)

select
    lead_id,
    entry_number,
    stage,
    {{ stage_attribute('stage', 'order') }} as stage_order,
    entered_at,
    exited_at,
    exited_at is null as is_current,
    entered_via,
    previous_stage,
    case
        when {{ funnel_reach_rank('stage') }} - {{ funnel_reach_rank('previous_stage') }} > 1
            then {{ funnel_reach_rank('stage') }} - {{ funnel_reach_rank('previous_stage') }} - 1
        else 0
    end as skipped_stage_count
from entries_in_order
