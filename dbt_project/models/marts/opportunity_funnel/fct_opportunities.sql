-- 商机: one row per lead existing as of D, with its version as of D, its stage history
-- facts, follow-up activity, the manager's flags (stalled, overdue follow-up, no touch,
-- past its expected close date, no expected close date at or past the configured stage
-- var attention.no_close_date_stage, recycle candidate, recycled) and its grade
-- (marts.md, opportunity_funnel).
-- No contact name, phone, e-mail or note reaches this table.
with leads_as_of as (
    select * from {{ ref('int_leads__as_of') }}
),

stage_entries as (
    select * from {{ ref('int_funnel__stage_entries') }}
),

-- The spec guarantees that the history's current stage is the version's stage; should a
-- follow-up after the latest version say otherwise, the stage still comes from the version
-- and its days from the latest entry into that stage (history_stage shows the mismatch,
-- a warn-severity test reports it).
current_entries as (
    select lead_id, stage as history_stage
    from stage_entries
    where is_current
),

-- the entries into the stage of the lead's version, the latest of which gives the days in
-- its current stage (3.4 M entries at 10^6 leads, about one per lead left after the join)
entries_into_version_stage as (
    select
        stage_entries.lead_id,
        stage_entries.entry_number,
        stage_entries.entered_at
    from stage_entries
    inner join leads_as_of
        on stage_entries.lead_id = leads_as_of.lead_id
        and stage_entries.stage = leads_as_of.stage
),

latest_entries_into_version_stage as (
    {{ latest_row_per_group(
        'entries_into_version_stage', 'lead_id',
        order_by=['entry_number'],
        columns=['entered_at'],
    ) }}
),

furthest_reach as (
    select
        lead_id,
        max({{ funnel_reach_rank('stage') }}) as furthest_reach_rank
    from stage_entries
    group by lead_id
),

follow_up_summary as (
    select * from {{ ref('int_funnel__follow_up_summary') }}
),

recycled_leads as (
    select * from {{ ref('int_funnel__recycled_leads') }}
),

opportunities as (
    select
        leads_as_of.lead_id,
        leads_as_of.account_key,
        leads_as_of.account_name,
        leads_as_of.source,
        leads_as_of.owner,
        leads_as_of.team,
        leads_as_of.stage,
        {{ stage_attribute('leads_as_of.stage', 'label_zh') }} as stage_label_zh,
        {{ stage_attribute('leads_as_of.stage', 'order') }} as stage_order,
        leads_as_of.status,
        leads_as_of.created_at,
        leads_as_of.closed_at,
        leads_as_of.amount,
        leads_as_of.probability,
        leads_as_of.stated_probability,
        leads_as_of.weighted_amount,
        leads_as_of.expected_close_date,
        leads_as_of.loss_reason,
        leads_as_of.urgency,
        leads_as_of.decision_maker_reached,
        furthest_reach.furthest_reach_rank,
        current_entries.history_stage,
        coalesce(latest_entries_into_version_stage.entered_at, leads_as_of.created_at)
            as current_stage_entered_at,
        coalesce(follow_up_summary.follow_up_count, 0) as follow_up_count,
        follow_up_summary.last_follow_up_at,
        follow_up_summary.next_follow_up_at,
        {{ stage_attribute('leads_as_of.stage', 'stall_days') }} as stall_days,
        recycled_leads.recycled_at
    from leads_as_of
    left join current_entries
        on leads_as_of.lead_id = current_entries.lead_id
    left join latest_entries_into_version_stage
        on leads_as_of.lead_id = latest_entries_into_version_stage.lead_id
    left join furthest_reach
        on leads_as_of.lead_id = furthest_reach.lead_id
    left join follow_up_summary
        on leads_as_of.lead_id = follow_up_summary.lead_id
    left join recycled_leads
        on leads_as_of.lead_id = recycled_leads.lead_id
),

opportunities_with_days as (
    select
        *,
        case
            when status in ('won', 'lost')
                then {{ days_between('created_at', 'closed_at') }}
        end as sales_cycle_days,
        {{ days_between('current_stage_entered_at', as_of_date()) }}
            as days_in_current_stage,
        {{ days_between('coalesce(last_follow_up_at, created_at)', as_of_date()) }}
            as days_since_last_touch,
        case when status = 'lost' then {{ days_between('closed_at', as_of_date()) }} end
            as days_since_lost,
        {{ funnel_grade_score('amount', 'urgency', 'decision_maker_reached', 'source') }}
            as grade_score
    from opportunities
),

-- 回收再激活 (marts.md, is_recycle_candidate): an open deal untouched for more than
-- recycle_days, or a deal lost more than recycle_days before D for a loss reason in the
-- configured recyclable list (var attention.recyclable_loss_reasons, exact text, trimmed).
recycle_flags as (
    select
        *,
        status = 'open' and days_since_last_touch > {{ var('thresholds').recycle_days }}
            as is_untouched_recycle_candidate,
        coalesce(
            status = 'lost'
            and days_since_lost > {{ var('thresholds').recycle_days }}
            and trim(loss_reason) in ({{ recyclable_loss_reasons() }}),
            false
        ) as is_lost_recycle_candidate
    from opportunities_with_days
)

select
    lead_id,
    account_key,
    account_name,
    source,
    owner,
    team,
    stage,
    stage_label_zh,
    stage_order,
    status,
    created_at,
    closed_at,
    amount,
    probability,
    stated_probability,
    weighted_amount,
    expected_close_date,
    sales_cycle_days,
    current_stage_entered_at,
    days_in_current_stage,
    stall_days,
    follow_up_count,
    last_follow_up_at,
    next_follow_up_at,
    days_since_last_touch,
    coalesce(status = 'open' and days_in_current_stage > stall_days, false) as is_stalled,
    coalesce(
        status = 'open'
        and next_follow_up_at < cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
        and last_follow_up_at <= next_follow_up_at,
        false
    ) as is_overdue_follow_up,
    case
        when next_follow_up_at < cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
            then {{ days_between('next_follow_up_at', as_of_date()) }}
    end as days_since_planned_follow_up,
    status = 'open' and days_since_last_touch > {{ var('thresholds').no_touch_days }}
        as is_no_touch,
    coalesce(
        status = 'open' and expected_close_date < {{ as_of_date() }},
        false
    ) as is_past_due_close,
    status = 'open'
        and stage_order >= {{ stage_attribute("'" ~ var('attention').no_close_date_stage ~ "'", 'order') }}
        and expected_close_date is null
        as is_missing_close_date,
    is_untouched_recycle_candidate,
    is_lost_recycle_candidate,
    is_untouched_recycle_candidate or is_lost_recycle_candidate as is_recycle_candidate,
    days_since_lost,
    recycled_at is not null as is_recycled,
    recycled_at,
    urgency,
    decision_maker_reached,
    grade_score,
    {{ funnel_grade('grade_score') }} as grade,
    loss_reason,
    history_stage,
    {{ funnel_stage_of_reach_rank('furthest_reach_rank') }} as furthest_stage,
    furthest_reach_rank,
    {{ as_of_date() }} as as_of_date
from recycle_flags
