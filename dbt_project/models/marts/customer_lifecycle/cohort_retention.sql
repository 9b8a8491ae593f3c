-- One row per (cohort_month, months_since_acquisition) for k = 0 .. months from the cohort
-- to D's month (留存): cohort_size = customers acquired in the cohort month; a customer is
-- active in month C+k when it had an activity (int_customer__activities) in that month;
-- retention_rate = active_customers / cohort_size.
with customers as (
    select
        account_key,
        {{ month_of('acquired_at') }} as cohort_month
    from {{ ref('dim_customers') }}
),

cohorts as (
    select cohort_month, count(*) as cohort_size
    from customers
    group by cohort_month
),

cohort_months as (
    select
        cohorts.cohort_month,
        cast(month_offsets.generated_number - 1 as {{ dbt.type_int() }})
            as months_since_acquisition,
        cohorts.cohort_size
    from cohorts
    cross join ({{ dbt.generate_series(5000) }}) as month_offsets
    where month_offsets.generated_number - 1
          <= {{ dbt.datediff('cohorts.cohort_month', as_of_month(), 'month') }}
),

active_per_cohort_month as (
    select
        customers.cohort_month,
        {{ dbt.datediff('customers.cohort_month', 'activities.activity_month', 'month') }}
            as months_since_acquisition,
        count(distinct customers.account_key) as active_customers
    from customers
    inner join {{ ref('int_customer__activities') }} as activities
        on customers.account_key = activities.account_key
    group by 1, 2
)

select
    cohort_months.cohort_month,
    cohort_months.months_since_acquisition,
    cohort_months.cohort_size,
    coalesce(active_per_cohort_month.active_customers, 0) as active_customers,
    {{ ratio_or_null('coalesce(active_per_cohort_month.active_customers, 0)',
                     'cohort_months.cohort_size') }} as retention_rate,
    {{ as_of_date() }} as as_of_date
from cohort_months
left join active_per_cohort_month
    on cohort_months.cohort_month = active_per_cohort_month.cohort_month
   and cohort_months.months_since_acquisition
       = active_per_cohort_month.months_since_acquisition
