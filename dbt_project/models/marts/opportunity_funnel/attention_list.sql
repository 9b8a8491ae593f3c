-- 待关注商机: one row per (opportunity, reason) a manager should act on as of D: an open
-- deal stalled in its stage, with an overdue planned follow-up, untouched for more than
-- no_touch_days, past its expected close date (past_due_close), at or past the stage var
-- attention.no_close_date_stage without an expected close date (no_close_date), or a
-- recycle candidate: open and untouched for more than recycle_days, or lost more than
-- recycle_days ago for a recyclable loss reason. days is the number behind the reason.
-- detail never carries contact data or note text.
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

open_opportunities as (
    select * from opportunities
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

past_due_close as (
    select
        lead_id,
        owner,
        'past_due_close' as reason,
        {{ dbt.concat([
            "'expected to close on '",
            "cast(expected_close_date as " ~ dbt.type_string() ~ ")",
            "', still open '",
            "cast(" ~ days_between('expected_close_date', as_of_date()) ~ " as " ~ dbt.type_string() ~ ")",
            "' days later'"
        ]) }} as detail,
        {{ days_between('expected_close_date', as_of_date()) }} as days,
        amount
    from open_opportunities
    where is_past_due_close
),

no_close_date as (
    select
        lead_id,
        owner,
        'no_close_date' as reason,
        {{ dbt.concat([
            "'stage '", "stage", "' ('", "stage_label_zh",
            "') without an expected close date, '",
            "cast(days_in_current_stage as " ~ dbt.type_string() ~ ")",
            "' days in stage'"
        ]) }} as detail,
        days_in_current_stage as days,
        amount
    from open_opportunities
    where is_missing_close_date
),

untouched_recycle_candidate as (
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
    where is_untouched_recycle_candidate
),

lost_recycle_candidate as (
    select
        lead_id,
        owner,
        'recycle_candidate' as reason,
        {{ dbt.concat([
            "'lost '",
            "cast(days_since_lost as " ~ dbt.type_string() ~ ")",
            "' days ago ('", "trim(loss_reason)",
            "'), limit " ~ var('thresholds').recycle_days ~ ": worth another try'"
        ]) }} as detail,
        days_since_lost as days,
        amount
    from opportunities
    where is_lost_recycle_candidate
),

reasons as (
    select * from stalled
    union all
    select * from overdue_follow_up
    union all
    select * from no_touch
    union all
    select * from past_due_close
    union all
    select * from no_close_date
    union all
    select * from untouched_recycle_candidate
    union all
    select * from lost_recycle_candidate
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
