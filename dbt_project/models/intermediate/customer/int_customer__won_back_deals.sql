-- Won deals that win a churned customer back (客户赢回), as of D: one row per won deal
-- closed at or before the end of D whose account was churned just before the deal, judged
-- with the churn rule of marts.md on what had happened before the deal's closed_at:
-- (a) a cancellation before it with no won deal or renewal between the two (a purchase at
--     the very same time as the cancellation is not after it), or else
-- (b) the latest activity before it more than thresholds.churn_inactive_days days before
--     the deal's local date.
-- customer_monthly counts the distinct accounts won back per month.
with won_deals as (
    select lead_id, account_key, closed_at
    from {{ ref('int_customer__won_deals') }}
),

service_records as (
    select account_key, type, opened_at
    from {{ ref('int_service__records_as_of') }}
),

purchase_or_renewal_events as (
    select account_key, closed_at as event_at
    from won_deals
    union all
    select account_key, opened_at as event_at
    from service_records
    where type = 'renewal'
),

history_before_deal as (
    select
        won_deals.lead_id,
        max(activities.activity_at) as last_activity_before_at
    from won_deals
    inner join {{ ref('int_customer__activities') }} as activities
        on won_deals.account_key = activities.account_key
       and activities.activity_at < won_deals.closed_at
    group by won_deals.lead_id
),

purchases_before_deal as (
    select
        won_deals.lead_id,
        max(events.event_at) as last_purchase_or_renewal_before_at
    from won_deals
    inner join purchase_or_renewal_events as events
        on won_deals.account_key = events.account_key
       and events.event_at < won_deals.closed_at
    group by won_deals.lead_id
),

cancellations_before_deal as (
    select
        won_deals.lead_id,
        max(service_records.opened_at) as last_cancellation_before_at
    from won_deals
    inner join service_records
        on won_deals.account_key = service_records.account_key
       and service_records.type = 'cancellation'
       and service_records.opened_at < won_deals.closed_at
    group by won_deals.lead_id
),

deal_context as (
    select
        won_deals.lead_id,
        won_deals.account_key,
        won_deals.closed_at,
        history_before_deal.last_activity_before_at,
        cancellations_before_deal.last_cancellation_before_at,
        coalesce(
            cancellations_before_deal.last_cancellation_before_at
                >= purchases_before_deal.last_purchase_or_renewal_before_at,
            cancellations_before_deal.last_cancellation_before_at is not null
        ) as is_after_standing_cancellation,
        coalesce(
            {{ days_between('history_before_deal.last_activity_before_at', 'won_deals.closed_at') }}
                > {{ lifecycle_threshold('churn_inactive_days') }},
            false
        ) as is_after_inactivity
    from won_deals
    left join history_before_deal on won_deals.lead_id = history_before_deal.lead_id
    left join purchases_before_deal on won_deals.lead_id = purchases_before_deal.lead_id
    left join cancellations_before_deal
        on won_deals.lead_id = cancellations_before_deal.lead_id
)

select
    lead_id,
    account_key,
    closed_at,
    {{ month_of('closed_at') }} as won_back_month,
    case when is_after_standing_cancellation then 'cancellation' else 'inactive' end
        as churn_reason_before,
    last_activity_before_at,
    last_cancellation_before_at
from deal_context
where is_after_standing_cancellation or is_after_inactivity
