-- One row per (customer, reason) a service or sales manager should act on (流失预警):
-- every customer with is_at_risk, whatever its lifecycle_status (a new customer with a bad
-- rating is listed too), one row for each risk signal it meets (inactive,
-- low_satisfaction, open_complaint), and customers churned in the var thresholds.churn_watch_days days ending
-- D, with their churn reason (cancellation or inactive). detail is a sentence built from
-- dates, counts and service ids only: no contact data and no note text.
-- The average rating is rounded once, to 2 decimals: a bare `numeric` is DECIMAL(18,3) on
-- DuckDB, which rounded 27/11 = 2.4545… to 2.455 and then to 2.46 (PostgreSQL: 2.45).
with customers as (
    select * from {{ ref('dim_customers') }}
),

signals as (
    select
        customers.account_key,
        customers.account_name,
        customers.owner,
        customers.lifecycle_status,
        customers.is_at_risk,
        customers.lifetime_value,
        customers.last_activity_at,
        customers.days_since_last_activity,
        customers.churned_at,
        customers.churn_reason,
        signals_as_of_d.recent_rated_requests,
        signals_as_of_d.recent_avg_satisfaction,
        coalesce(signals_as_of_d.overdue_complaints, 0) as overdue_complaints,
        signals_as_of_d.oldest_open_complaint_id,
        signals_as_of_d.oldest_open_complaint_days
    from customers
    left join {{ ref('int_customer__risk_signals') }} as signals_as_of_d
        on customers.account_key = signals_as_of_d.account_key
),

inactive_at_risk as (
    select
        *,
        'inactive' as reason,
        {{ dbt.concat(["'no activity for '",
                       "cast(days_since_last_activity as " ~ dbt.type_string() ~ ")",
                       "' days (last on '",
                       "cast(cast(last_activity_at as date) as " ~ dbt.type_string() ~ ")",
                       "')'"]) }} as detail
    from signals
    where is_at_risk
      and days_since_last_activity > {{ lifecycle_threshold('at_risk_inactive_days') }}
),

low_satisfaction_at_risk as (
    select
        *,
        'low_satisfaction' as reason,
        {{ dbt.concat(["'average satisfaction '",
                       "cast(round(cast(recent_avg_satisfaction as numeric(38, 10)), 2) as "
                           ~ dbt.type_string() ~ ")",
                       "' over '",
                       "cast(recent_rated_requests as " ~ dbt.type_string() ~ ")",
                       "' rating(s) in the last " ~ lifecycle_threshold('at_risk_satisfaction_window_days')
                           ~ " days'"]) }} as detail
    from signals
    where is_at_risk
      and recent_avg_satisfaction <= {{ lifecycle_threshold('at_risk_max_avg_satisfaction') }}
),

open_complaint_at_risk as (
    select
        *,
        'open_complaint' as reason,
        {{ dbt.concat(["cast(overdue_complaints as " ~ dbt.type_string() ~ ")",
                       "' complaint(s) unresolved; oldest '",
                       "oldest_open_complaint_id",
                       "' open for '",
                       "cast(oldest_open_complaint_days as " ~ dbt.type_string() ~ ")",
                       "' days'"]) }} as detail
    from signals
    where is_at_risk
      and overdue_complaints > 0
),

recently_churned as (
    select
        *,
        churn_reason as reason,
        case
            when churn_reason = 'cancellation'
                then {{ dbt.concat(["'cancelled on '",
                                    "cast(cast(churned_at as date) as " ~ dbt.type_string() ~ ")"]) }}
            else {{ dbt.concat(["'churned on '",
                                "cast(cast(churned_at as date) as " ~ dbt.type_string() ~ ")",
                                "' after " ~ lifecycle_threshold('churn_inactive_days')
                                    ~ " days without activity (last on '",
                                "cast(cast(last_activity_at as date) as " ~ dbt.type_string() ~ ")",
                                "')'"]) }}
        end as detail
    from signals
    where lifecycle_status = 'churned'
      and {{ in_days_ending_d('churned_at', lifecycle_threshold('churn_watch_days')) }}
),

watchlist as (
    select * from inactive_at_risk
    union all
    select * from low_satisfaction_at_risk
    union all
    select * from open_complaint_at_risk
    union all
    select * from recently_churned
)

select
    account_key,
    account_name,
    owner,
    lifecycle_status,
    reason,
    detail,
    lifetime_value,
    days_since_last_activity,
    churned_at,
    {{ as_of_date() }} as as_of_date
from watchlist
