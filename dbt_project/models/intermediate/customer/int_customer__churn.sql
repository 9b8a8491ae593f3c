-- Churn of each customer as of D (marts.md, "Churn"), one row per customer:
-- (a) cancellation: a cancellation record at or before D with no won deal or renewal after
--     it (a purchase at the very same time is not after it). churned_at is the first such
--     cancellation since the customer's last won deal or renewal (the moment it left; later
--     cancellations repeat it);
-- (b) else inactive: D - local date of last_activity_at > var thresholds.churn_inactive_days;
--     churned_at = last_activity_at + churn_inactive_days days.
-- Customers that are not churned have churned_at and churn_reason NULL.
with accounts as (
    select account_key, last_activity_at
    from {{ ref('int_customer__accounts') }}
),

service_records as (
    select * from {{ ref('int_service__records_as_of') }}
),

last_purchase_or_renewal as (
    select account_key, max(event_at) as last_purchase_or_renewal_at
    from (
        select account_key, closed_at as event_at
        from {{ ref('int_customer__won_deals') }}
        union all
        select account_key, opened_at as event_at
        from service_records
        where type = 'renewal'
    ) as purchase_or_renewal_events
    group by account_key
),

standing_cancellations as (
    select
        service_records.account_key,
        min(service_records.opened_at) as cancelled_at
    from service_records
    left join last_purchase_or_renewal
        on service_records.account_key = last_purchase_or_renewal.account_key
    where service_records.type = 'cancellation'
      and (
          last_purchase_or_renewal.last_purchase_or_renewal_at is null
          or service_records.opened_at >= last_purchase_or_renewal.last_purchase_or_renewal_at
      )
    group by service_records.account_key
),

churn_by_rule as (
    select
        accounts.account_key,
        standing_cancellations.cancelled_at,
        case
            when accounts.last_activity_at is not null
             and {{ days_before_d('accounts.last_activity_at') }}
                 > {{ lifecycle_threshold('churn_inactive_days') }}
                then {{ dbt.dateadd('day', lifecycle_threshold('churn_inactive_days'),
                                    'accounts.last_activity_at') }}
        end as inactive_since
    from accounts
    left join standing_cancellations
        on accounts.account_key = standing_cancellations.account_key
)

select
    account_key,
    cast(coalesce(cancelled_at, inactive_since) as {{ dbt.type_timestamp() }}) as churned_at,
    case
        when cancelled_at is not null then 'cancellation'
        when inactive_since is not null then 'inactive'
    end as churn_reason
from churn_by_rule
