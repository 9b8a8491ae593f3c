-- One row per month M from the first customer's month to D's month (客户月度), all facts as
-- known at the end of D (marts.md, customer_lifecycle):
--   customers_at_start     acquired before M and not churned before M;
--   new_customers          acquired in M;
--   churned_customers      customers at the start of M with churned_at in M;
--   churned_new_customers  acquired in M and churned in M (kept out of churn_rate, whose
--                          denominator holds customers at the start only);
--   customers_at_end       = at_start + new - churned - churned_new;
--   renewal_rate           customers at the start of M with a renewal record opened in M
--                          ÷ customers_at_start;
--   won_back_customers     customers with a won deal in M that won them back after they had
--                          churned (int_customer__won_back_deals);
--   repurchase_rate        repeat buyers ÷ buyers, both at month end from won deals closed by
--                          then (churned customers included: 复购率 is about buying again).
-- Ratings are those of service records opened in M (as of D: resolved by the end of D).
with customers as (
    select
        account_key,
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

renewals as (
    select distinct account_key, opened_month as month
    from {{ ref('int_service__records_as_of') }}
    where type = 'renewal'
),

months as (
    select period_start as month
    from ({{ period_spine(
        'month',
        '(select ' ~ month_of('min(acquired_at)') ~ ' from ' ~ ref('dim_customers') ~ ')',
        as_of_month()
    ) }}) as month_spine
),

customer_counts_per_month as (
    select
        months.month,
        count(case when customers.acquired_month < months.month
                    and (customers.churned_month is null
                         or customers.churned_month >= months.month)
                   then 1 end) as customers_at_start,
        count(case when customers.acquired_month = months.month then 1 end) as new_customers,
        count(case when customers.acquired_month < months.month
                    and customers.churned_month = months.month
                   then 1 end) as churned_customers,
        count(case when customers.acquired_month = months.month
                    and customers.churned_month = months.month
                   then 1 end) as churned_new_customers,
        count(case when customers.acquired_month < months.month
                    and (customers.churned_month is null
                         or customers.churned_month >= months.month)
                    and renewals.account_key is not null
                   then 1 end) as renewing_customers
    from months
    cross join customers
    left join renewals
        on customers.account_key = renewals.account_key
       and renewals.month = months.month
    group by months.month
),

won_back_per_month as (
    select won_back_month as month, count(distinct account_key) as won_back_customers
    from {{ ref('int_customer__won_back_deals') }}
    group by won_back_month
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
        coalesce(counts.customers_at_start, 0) as customers_at_start,
        coalesce(counts.new_customers, 0) as new_customers,
        coalesce(counts.churned_customers, 0) as churned_customers,
        coalesce(counts.churned_new_customers, 0) as churned_new_customers,
        coalesce(counts.renewing_customers, 0) as renewing_customers,
        coalesce(won_back_per_month.won_back_customers, 0) as won_back_customers,
        coalesce(purchases.first_purchases, 0) as first_purchases,
        coalesce(purchases.second_purchases, 0) as second_purchases,
        coalesce(ratings_per_month.rated, 0) as rated,
        ratings_per_month.satisfaction_sum,
        coalesce(ratings_per_month.satisfied, 0) as satisfied
    from months
    left join customer_counts_per_month as counts on months.month = counts.month
    left join won_back_per_month on months.month = won_back_per_month.month
    left join first_and_second_purchases_per_month as purchases
        on months.month = purchases.month
    left join ratings_per_month on months.month = ratings_per_month.month
),

running_totals as (
    select
        *,
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
    customers_at_start,
    new_customers,
    churned_customers,
    churned_new_customers,
    customers_at_start + new_customers - churned_customers - churned_new_customers
        as customers_at_end,
    {{ ratio_or_null('churned_customers', 'customers_at_start') }} as churn_rate,
    renewing_customers,
    {{ ratio_or_null('renewing_customers', 'customers_at_start') }} as renewal_rate,
    won_back_customers,
    repeat_buyers_at_end,
    buyers_at_end,
    {{ ratio_or_null('repeat_buyers_at_end', 'buyers_at_end') }} as repurchase_rate,
    rated,
    {{ ratio_or_null('satisfaction_sum', 'rated') }} as avg_satisfaction,
    {{ ratio_or_null('satisfied', 'rated') }} as csat_rate,
    {{ as_of_date() }} as as_of_date
from running_totals
