-- One row per customer as of D (商机转客户): an account with a won deal closed at or before
-- the end of D, or with a service record opened by then (a customer from before the CRM).
-- Purchases, renewals, service counts, ratings and the last activity, all as of D.
-- account_name, owner and team come from the latest won deal (by closed_at, then lead_id); a
-- customer known only from service records takes the name of its latest record. industry
-- and region come from the account's latest lead version as of D (by updated_at, then
-- lead_id), won or not: the CRM's freshest description of the company.
with won_deals as (
    select * from {{ ref('int_customer__won_deals') }}
),

service_records as (
    select * from {{ ref('int_service__records_as_of') }}
),

latest_won_deal as (
    {{ latest_row_per_group(
        'won_deals', 'account_key',
        order_by=['closed_at', text_sort_key('lead_id')],
        columns=['account_name', 'owner', 'team'],
    ) }}
),

latest_lead_version as (
    {{ latest_row_per_group(
        ref('int_leads__as_of'), 'account_key',
        order_by=['updated_at', text_sort_key('lead_id')],
        columns=['industry', 'region'],
    ) }}
),

latest_service_record as (
    {{ latest_row_per_group(
        'service_records', 'account_key',
        order_by=['opened_at', text_sort_key('service_id')],
        columns=['account_name'],
    ) }}
),

purchases as (
    select
        account_key,
        min(closed_at) as first_purchase_at,
        max(closed_at) as last_purchase_at,
        count(*) as won_deals,
        sum(amount) as won_amount
    from won_deals
    group by account_key
),

services as (
    select
        account_key,
        min(opened_at) as first_service_at,
        count(*) as service_requests,
        count(case when type = 'complaint' then 1 end) as complaints,
        sum(renewal_amount) as renewal_amount,
        count(satisfaction) as rated_requests,
        avg({{ as_double('satisfaction') }}) as avg_satisfaction
    from service_records
    group by account_key
),

last_activities as (
    select account_key, max(activity_at) as last_activity_at
    from {{ ref('int_customer__activities') }}
    group by account_key
),

customer_keys as (
    select account_key from won_deals
    union
    select account_key from service_records
)

select
    customer_keys.account_key,
    coalesce(latest_won_deal.account_name, latest_service_record.account_name) as account_name,
    case
        when purchases.first_purchase_at is null then services.first_service_at
        when services.first_service_at is null then purchases.first_purchase_at
        when services.first_service_at < purchases.first_purchase_at
            then services.first_service_at
        else purchases.first_purchase_at
    end as acquired_at,
    purchases.first_purchase_at,
    purchases.last_purchase_at,
    coalesce(purchases.won_deals, 0) as won_deals,
    coalesce(purchases.won_amount, 0) as won_amount,
    coalesce(services.renewal_amount, 0) as renewal_amount,
    coalesce(purchases.won_amount, 0) + coalesce(services.renewal_amount, 0) as lifetime_value,
    coalesce(purchases.won_deals, 0) >= 2 as is_repeat_buyer,
    coalesce(services.service_requests, 0) as service_requests,
    coalesce(services.complaints, 0) as complaints,
    coalesce(services.rated_requests, 0) as rated_requests,
    services.avg_satisfaction,
    last_activities.last_activity_at,
    latest_won_deal.owner,
    latest_won_deal.team,
    latest_lead_version.industry,
    latest_lead_version.region
from customer_keys
left join latest_won_deal on customer_keys.account_key = latest_won_deal.account_key
left join latest_service_record
    on customer_keys.account_key = latest_service_record.account_key
left join latest_lead_version
    on customer_keys.account_key = latest_lead_version.account_key
left join purchases on customer_keys.account_key = purchases.account_key
left join services on customer_keys.account_key = services.account_key
left join last_activities on customer_keys.account_key = last_activities.account_key
where customer_keys.account_key is not null
