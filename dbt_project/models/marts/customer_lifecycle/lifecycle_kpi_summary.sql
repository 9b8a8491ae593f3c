{{ config(alias='kpi_summary') }}
-- One row: the customer-lifecycle headline numbers as of D (客户关系管理 KPI).
-- The 90-day and 30-day windows are part of the column names of the BI contract
-- (marts.md), so they are named constants here, not configuration: a configured window
-- would make a column named *_90d count another number of days.
{%- set churn_window_days = 90 %}
{%- set satisfaction_window_days = 90 %}
{%- set response_window_days = 30 %}
with customers as (
    select * from {{ ref('dim_customers') }}
),

service_records as (
    select * from {{ ref('int_service__records_as_of') }}
),

customer_counts as (
    select
        count(case when lifecycle_status <> 'churned' then 1 end) as customers,
        count(case when acquired_at >= cast({{ as_of_month() }} as {{ dbt.type_timestamp() }})
                 then 1 end) as new_customers_mtd,
        count(case when lifecycle_status in ('new', 'active') then 1 end)
            as active_customers,
        count(case when lifecycle_status = 'at_risk' then 1 end) as at_risk_customers,
        count(case when is_at_risk then 1 end) as risk_flagged_customers,
        count(case when {{ in_days_ending_d('churned_at', churn_window_days) }}
                 then 1 end) as churned_customers_90d,
        count(case when is_repeat_buyer then 1 end) as repeat_buyers,
        count(case when won_deals >= 1 then 1 end) as buyers,
        sum(case when lifecycle_status <> 'churned' then lifetime_value end)
            as lifetime_value_not_churned
    from customers
),

recent_ratings as (
    select
        count(satisfaction) as rated,
        avg({{ as_double('satisfaction') }}) as avg_satisfaction,
        count(case when satisfaction >= 4 then 1 end) as satisfied
    from service_records
    where {{ in_days_ending_d('opened_at', satisfaction_window_days) }}
),

recent_responses as (
    select
        {{ median('first_response_hours') }}
            as median_first_response_hours
    from service_records
    where {{ in_days_ending_d('opened_at', response_window_days) }}
)

select
    {{ as_of_date() }} as as_of_date,
    coalesce(customer_counts.customers, 0) as customers,
    coalesce(customer_counts.new_customers_mtd, 0) as new_customers_mtd,
    coalesce(customer_counts.active_customers, 0) as active_customers,
    coalesce(customer_counts.at_risk_customers, 0) as at_risk_customers,
    coalesce(customer_counts.risk_flagged_customers, 0) as risk_flagged_customers,
    coalesce(customer_counts.churned_customers_90d, 0) as churned_customers_90d,
    {{ ratio_or_null('customer_counts.repeat_buyers', 'customer_counts.buyers') }}
        as repurchase_rate,
    recent_ratings.avg_satisfaction as avg_satisfaction_90d,
    {{ ratio_or_null('recent_ratings.satisfied', 'recent_ratings.rated') }} as csat_rate_90d,
    recent_responses.median_first_response_hours as median_first_response_hours_30d,
    {{ as_money(ratio_or_null('customer_counts.lifetime_value_not_churned',
                              'customer_counts.customers')) }} as avg_lifetime_value
from customer_counts
cross join recent_ratings
cross join recent_responses
