-- One row per customer as of D (客户): purchases, service, activity, churn, lifecycle
-- status and tier. lifecycle_status (marts.md): churned (int_customer__churn); else new when
-- acquired in the thresholds.new_customer_days days ending D; else at_risk when
-- days_since_last_activity > at_risk_inactive_days, the average rating of the
-- at_risk_satisfaction_window_days days ending D is <= at_risk_max_avg_satisfaction, or a
-- complaint has been open more than at_risk_open_complaint_days days; else active.
-- tier: rank by lifetime_value desc, ties by account_key; n customers; A when
-- rank <= ceil(n * tiers.a_share), B when rank <= ceil(n * (a_share + b_share)), else C.
with accounts as (
    select * from {{ ref('int_customer__accounts') }}
),

churn as (
    select * from {{ ref('int_customer__churn') }}
),

risk_signals as (
    select * from {{ ref('int_customer__risk_signals') }}
),

customers_with_signals as (
    select
        accounts.*,
        {{ days_before_d('accounts.last_activity_at') }} as days_since_last_activity,
        {{ days_before_d('accounts.acquired_at') }} as days_since_acquired,
        churn.churned_at,
        churn.churn_reason,
        risk_signals.recent_avg_satisfaction,
        coalesce(risk_signals.overdue_complaints, 0) as overdue_complaints
    from accounts
    left join churn on accounts.account_key = churn.account_key
    left join risk_signals on accounts.account_key = risk_signals.account_key
),

statuses as (
    select
        *,
        case
            when churned_at is not null then 'churned'
            when days_since_acquired < {{ lifecycle_threshold('new_customer_days') }}
                then 'new'
            when days_since_last_activity > {{ lifecycle_threshold('at_risk_inactive_days') }}
              or recent_avg_satisfaction
                 <= {{ lifecycle_threshold('at_risk_max_avg_satisfaction') }}
              or overdue_complaints > 0
                then 'at_risk'
            else 'active'
        end as lifecycle_status
    from customers_with_signals
),

value_ranks as (
    select
        *,
        row_number() over (
            order by lifetime_value desc, {{ text_sort_key('account_key') }}
        ) as value_rank,
        count(*) over () as customer_count
    from statuses
)

select
    account_key,
    account_name,
    acquired_at,
    first_purchase_at,
    last_purchase_at,
    won_deals,
    won_amount,
    renewal_amount,
    lifetime_value,
    is_repeat_buyer,
    service_requests,
    complaints,
    rated_requests,
    avg_satisfaction,
    last_activity_at,
    days_since_last_activity,
    lifecycle_status,
    churned_at,
    churn_reason,
    value_rank,
    case
        when value_rank <= ceil(customer_count * {{ var("tiers")["a_share"] }}) then 'A'
        when value_rank
             <= ceil(customer_count * ({{ var("tiers")["a_share"] }} + {{ var("tiers")["b_share"] }}))
            then 'B'
        else 'C'
    end as tier,
    owner,
    {{ as_of_date() }} as as_of_date
from value_ranks
