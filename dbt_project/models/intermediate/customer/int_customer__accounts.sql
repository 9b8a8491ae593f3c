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

-- the latest won deal of each account and, in the same pass, its purchase figures
purchases as (
    {{ latest_row_per_group(
        'won_deals', 'account_key',
        order_by=['closed_at', text_sort_key('lead_id')],
        columns=['account_name', 'owner', 'team'],
        aggregates={
            'first_purchase_at': 'min(closed_at)',
            'last_purchase_at': 'max(closed_at)',
            'won_deals': 'count(*)',
            'won_amount': 'sum(amount)',
        },
    ) }}
),

latest_lead_version as (
    {{ latest_row_per_group(
        ref('int_leads__as_of'), 'account_key',
        order_by=['updated_at', text_sort_key('lead_id')],
        columns=['industry', 'region'],
    ) }}
),

-- the latest service record of each account and, in the same pass, its service figures
services as (
    {{ latest_row_per_group(
        'service_records', 'account_key',
        order_by=['opened_at', text_sort_key('service_id')],
        columns=['account_name'],
        aggregates={
            'first_service_at': 'min(opened_at)',
            'service_requests': 'count(*)',
            'complaints': "count(case when type = 'complaint' then 1 end)",
            'renewal_amount': 'sum(renewal_amount)',
            'rated_requests': 'count(satisfaction)',
            'avg_satisfaction': 'avg(' ~ as_double('satisfaction') ~ ')',
        },
    ) }}
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
    coalesce(purchases.account_name, services.account_name) as account_name,
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
    purchases.owner,
    purchases.team,
    latest_lead_version.industry,
    latest_lead_version.region
from customer_keys
left join latest_lead_version
    on customer_keys.account_key = latest_lead_version.account_key
left join purchases on customer_keys.account_key = purchases.account_key
left join services on customer_keys.account_key = services.account_key
left join last_activities on customer_keys.account_key = last_activities.account_key
where customer_keys.account_key is not null
