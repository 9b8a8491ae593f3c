-- One row per customer as of D (客户): purchases, service, activity, churn, lifecycle
-- status, risk flags, tier and the 360 profile. lifecycle_status (marts.md): churned
-- (int_customer__churn); else new when acquired in the thresholds.new_customer_days days
-- ending D; else at_risk when a risk signal holds; else active. The risk signals are judged
-- whatever the status (a new customer can be at risk), never for a churned one:
-- inactive = days_since_last_activity > at_risk_inactive_days; low_satisfaction = the
-- average rating of the at_risk_satisfaction_window_days days ending D is <=
-- at_risk_max_avg_satisfaction; open_complaint = a complaint open more than
-- at_risk_open_complaint_days days. is_at_risk = any of them; risk_reasons lists them,
-- comma-separated, in that order.
-- tier ranks customers not churned only: by lifetime_value desc, ties by account_key; n of
-- them; A when rank <= ceil(n * tiers.a_share), B when rank <= ceil(n * (a_share +
-- b_share)), else C. A churned customer has no rank and no tier.
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
        churn.churned_at is not null as is_churned,
        churn.churned_at,
        churn.churn_reason,
        risk_signals.recent_avg_satisfaction,
        coalesce(risk_signals.overdue_complaints, 0) as overdue_complaints
    from accounts
    left join churn on accounts.account_key = churn.account_key
    left join risk_signals on accounts.account_key = risk_signals.account_key
),

risk_flags as (
    select
        *,
        not is_churned
            and coalesce(
                days_since_last_activity > {{ lifecycle_threshold('at_risk_inactive_days') }},
                false
            ) as is_inactive_risk,
        not is_churned
            and coalesce(
                recent_avg_satisfaction
                    <= {{ lifecycle_threshold('at_risk_max_avg_satisfaction') }},
                false
            ) as is_low_satisfaction_risk,
        not is_churned and overdue_complaints > 0 as is_open_complaint_risk
    from customers_with_signals
),

statuses as (
    select
        *,
        is_inactive_risk or is_low_satisfaction_risk or is_open_complaint_risk as is_at_risk,
        nullif(concat_ws(
            ',',
            case when is_inactive_risk then 'inactive' end,
            case when is_low_satisfaction_risk then 'low_satisfaction' end,
            case when is_open_complaint_risk then 'open_complaint' end
        ), '') as risk_reasons,
        case
            when is_churned then 'churned'
            when days_since_acquired < {{ lifecycle_threshold('new_customer_days') }}
                then 'new'
            when is_inactive_risk or is_low_satisfaction_risk or is_open_complaint_risk
                then 'at_risk'
            else 'active'
        end as lifecycle_status
    from risk_flags
),

ranked_not_churned as (
    select
        account_key,
        row_number() over (
            order by lifetime_value desc, {{ text_sort_key('account_key') }}
        ) as value_rank,
        count(*) over () as customer_count
    from statuses
    where not is_churned
),

value_ranks as (
    select
        statuses.*,
        ranked_not_churned.value_rank,
        ranked_not_churned.customer_count
    from statuses
    left join ranked_not_churned on statuses.account_key = ranked_not_churned.account_key
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
    is_at_risk,
    risk_reasons,
    churned_at,
    churn_reason,
    value_rank,
    case
        when value_rank is null then null
        when value_rank <= ceil(customer_count * {{ var("tiers")["a_share"] }}) then 'A'
        when value_rank
             <= ceil(customer_count * ({{ var("tiers")["a_share"] }} + {{ var("tiers")["b_share"] }}))
            then 'B'
        else 'C'
    end as tier,
    owner,
    team,
    industry,
    region,
    first_purchase_at as first_won_at,
    days_since_acquired as tenure_days,
    {{ as_of_date() }} as as_of_date
from value_ranks
