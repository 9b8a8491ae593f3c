-- Customer activities at or before the end of D (marts.md, "Activity"): a won deal at its
-- closed_at, and every service record other than a cancellation (renewals included) at its
-- opened_at. One row per activity.
with won_deal_activities as (
    select
        account_key,
        closed_at as activity_at,
        'won_deal' as activity_type,
        lead_id as activity_id
    from {{ ref('int_customer__won_deals') }}
),

service_activities as (
    select
        account_key,
        opened_at as activity_at,
        type as activity_type,
        service_id as activity_id
    from {{ ref('int_service__records_as_of') }}
    where type <> 'cancellation'
)

select
    account_key,
    activity_at,
    {{ month_of('activity_at') }} as activity_month,
    activity_type,
    activity_id
from won_deal_activities
union all
select
    account_key,
    activity_at,
    {{ month_of('activity_at') }} as activity_month,
    activity_type,
    activity_id
from service_activities
