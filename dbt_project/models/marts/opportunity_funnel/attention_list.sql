-- 待关注商机: one row per (open opportunity, reason) a manager should act on as of D:
-- stalled in its stage, an overdue planned follow-up, no touch for more than no_touch_days,
-- no touch for more than recycle_days (recycle or re-activate). days is the number behind
-- the reason. detail never carries contact data or note text.
with open_opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where status = 'open'
),

stalled as (
    select
        lead_id,
        owner,
        'stalled' as reason,
        {{ dbt.concat([
            "'stage '", "stage", "' ('", "stage_label_zh", "') for '",
            "cast(days_in_current_stage as " ~ dbt.type_string() ~ ")",
            "' days, limit '", "cast(stall_days as " ~ dbt.type_string() ~ ")"
        ]) }} as detail,
        days_in_current_stage as days,
        amount
    from open_opportunities
    where is_stalled
),

overdue_follow_up as (
    select
        lead_id,
        owner,
        'overdue_follow_up' as reason,
        {{ dbt.concat([
            "'follow-up planned for '",
            "cast(cast(next_follow_up_at as date) as " ~ dbt.type_string() ~ ")",
            "' not done, '",
            "cast(days_since_planned_follow_up as " ~ dbt.type_string() ~ ")",
            "' days overdue'"
        ]) }} as detail,
        days_since_planned_follow_up as days,
        amount
    from open_opportunities
    where is_overdue_follow_up
),

no_touch as (
    select
        lead_id,
        owner,
        'no_touch' as reason,
        {{ dbt.concat([
            "'no follow-up for '",
            "cast(days_since_last_touch as " ~ dbt.type_string() ~ ")",
            "' days, limit " ~ var('thresholds').no_touch_days ~ "'"
        ]) }} as detail,
        days_since_last_touch as days,
        amount
    from open_opportunities
    where is_no_touch
),

recycle_candidate as (
    select
        lead_id,
        owner,
        'recycle_candidate' as reason,
        {{ dbt.concat([
            "'no follow-up for '",
            "cast(days_since_last_touch as " ~ dbt.type_string() ~ ")",
            "' days, limit " ~ var('thresholds').recycle_days ~ ": recycle or re-activate'"
        ]) }} as detail,
        days_since_last_touch as days,
        amount
    from open_opportunities
    where is_recycle_candidate
),

reasons as (
    select * from stalled
    union all
    select * from overdue_follow_up
    union all
    select * from no_touch
    union all
    select * from recycle_candidate
)

select
    lead_id,
    owner,
    reason,
    detail,
    days,
    amount,
    {{ as_of_date() }} as as_of_date
from reasons
