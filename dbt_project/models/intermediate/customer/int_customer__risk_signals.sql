-- Service signals of each customer that feed the at-risk rule (marts.md, lifecycle_status)
-- and the churn watchlist, as of D; one row per customer with service records:
-- ratings on records opened in the var thresholds.at_risk_satisfaction_window_days days
-- ending D, and complaints still unresolved at the end of D that were opened more than
-- thresholds.at_risk_open_complaint_days days before D (days = D - local date opened).
with service_records as (
    select
        *,
        {{ days_before_d('opened_at') }} as days_open
    from {{ ref('int_service__records_as_of') }}
),

recent_ratings as (
    select
        account_key,
        count(satisfaction) as recent_rated_requests,
        avg({{ as_double('satisfaction') }}) as recent_avg_satisfaction
    from service_records
    where days_open < {{ lifecycle_threshold('at_risk_satisfaction_window_days') }}
    group by account_key
),

overdue_complaints as (
    select account_key, service_id, days_open
    from service_records
    where type = 'complaint'
      and not is_resolved
      and days_open > {{ lifecycle_threshold('at_risk_open_complaint_days') }}
),

ranked_overdue_complaints as (
    select
        account_key,
        service_id,
        days_open,
        count(*) over (partition by account_key) as overdue_complaints,
        row_number() over (
            partition by account_key order by days_open desc, {{ text_sort_key('service_id') }}
        ) as complaint_rank
    from overdue_complaints
),

oldest_overdue_complaint as (
    select
        account_key,
        overdue_complaints,
        service_id as oldest_open_complaint_id,
        days_open as oldest_open_complaint_days
    from ranked_overdue_complaints
    where complaint_rank = 1
),

customers_with_service as (
    select distinct account_key from service_records
)

select
    customers_with_service.account_key,
    coalesce(recent_ratings.recent_rated_requests, 0) as recent_rated_requests,
    recent_ratings.recent_avg_satisfaction,
    coalesce(oldest_overdue_complaint.overdue_complaints, 0) as overdue_complaints,
    oldest_overdue_complaint.oldest_open_complaint_id,
    oldest_overdue_complaint.oldest_open_complaint_days
from customers_with_service
left join recent_ratings
    on customers_with_service.account_key = recent_ratings.account_key
left join oldest_overdue_complaint
    on customers_with_service.account_key = oldest_overdue_complaint.account_key
