-- One row per month from the first customer's month to D's month (客户月度): customers at
-- the start, new, churned and at the end of the month, churn and repurchase rates, and the
-- ratings of service records opened in the month. All facts as known at the end of D.
-- customers_at_start(M) = acquired before M and not churned before M, which equals the
-- customers acquired before M minus those churned before M (a customer churns after it is
-- acquired). Repeat buyers and buyers are counted at month end from won deals closed by then
-- (churned customers included: 复购率 is about buying again, not about being active).
with customers as (
    select
        {{ month_of('acquired_at') }} as acquired_month,
        {{ month_of('churned_at') }} as churned_month
    from {{ ref('dim_customers') }}
),

won_deal_sequence as (
    select
        account_key,
        {{ month_of('closed_at') }} as closed_month,
        row_number() over (
            partition by account_key order by closed_at, {{ text_sort_key('lead_id') }}
        ) as deal_number
    from {{ ref('int_customer__won_deals') }}
),

months as (
    select period_start as month
    from ({{ period_spine(
        'month',
        '(select ' ~ month_of('min(acquired_at)') ~ ' from ' ~ ref('dim_customers') ~ ')',
        as_of_month()
    ) }}) as month_spine
),

new_per_month as (
    select acquired_month as month, count(*) as new_customers
    from customers
    group by acquired_month
),

churned_per_month as (
    select churned_month as month, count(*) as churned_customers
    from customers
    where churned_month is not null
    group by churned_month
),

first_and_second_purchases_per_month as (
    select
        closed_month as month,
        count(case when deal_number = 1 then 1 end) as first_purchases,
        count(case when deal_number = 2 then 1 end) as second_purchases
    from won_deal_sequence
    where deal_number <= 2
    group by closed_month
),

ratings_per_month as (
    select
        opened_month as month,
        count(satisfaction) as rated,
        sum(satisfaction) as satisfaction_sum,
        count(case when satisfaction >= 4 then 1 end) as satisfied
    from {{ ref('int_service__records_as_of') }}
    group by opened_month
),

monthly_counts as (
    select
        months.month,
        coalesce(new_per_month.new_customers, 0) as new_customers,
        coalesce(churned_per_month.churned_customers, 0) as churned_customers,
        coalesce(purchases.first_purchases, 0) as first_purchases,
        coalesce(purchases.second_purchases, 0) as second_purchases,
        coalesce(ratings_per_month.rated, 0) as rated,
        ratings_per_month.satisfaction_sum,
        coalesce(ratings_per_month.satisfied, 0) as satisfied
    from months
    left join new_per_month on months.month = new_per_month.month
    left join churned_per_month on months.month = churned_per_month.month
    left join first_and_second_purchases_per_month as purchases
        on months.month = purchases.month
    left join ratings_per_month on months.month = ratings_per_month.month
),

running_totals as (
    select
        *,
        cast(sum(new_customers - churned_customers) over (
            order by month rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as customers_at_end,
        cast(sum(first_purchases) over (
            order by month rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as buyers_at_end,
        cast(sum(second_purchases) over (
            order by month rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as repeat_buyers_at_end
    from monthly_counts
)

select
    month,
    customers_at_end - new_customers + churned_customers as customers_at_start,
    new_customers,
    churned_customers,
    customers_at_end,
    {{ ratio_or_null('churned_customers',
                     'customers_at_end - new_customers + churned_customers') }} as churn_rate,
    repeat_buyers_at_end,
    buyers_at_end,
    {{ ratio_or_null('repeat_buyers_at_end', 'buyers_at_end') }} as repurchase_rate,
    rated,
    {{ ratio_or_null('satisfaction_sum', 'rated') }} as avg_satisfaction,
    {{ ratio_or_null('satisfied', 'rated') }} as csat_rate,
    {{ as_of_date() }} as as_of_date
from running_totals
