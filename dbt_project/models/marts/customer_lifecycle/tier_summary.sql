-- One row per tier A, B, C (客户分层), always all three, over the customers not churned as of
-- D (churned customers have no tier): customers, their lifetime value and its share of the
-- value of all customers not churned, the share of repeat buyers, and the average of the
-- ratings their service records received (ratings given, never imputed).
with customers as (
    select * from {{ ref('dim_customers') }}
    where tier is not null
),

tiers as (
    select 'A' as tier union all select 'B' union all select 'C'
),

customers_per_tier as (
    select
        tier,
        count(*) as customers,
        sum(lifetime_value) as lifetime_value,
        count(case when is_repeat_buyer then 1 end) as repeat_buyers
    from customers
    group by tier
),

ratings_per_tier as (
    select
        customers.tier,
        avg({{ as_double('service_records.satisfaction') }}) as avg_satisfaction
    from customers
    inner join {{ ref('int_service__records_as_of') }} as service_records
        on customers.account_key = service_records.account_key
    group by customers.tier
),

total_value as (
    select sum(lifetime_value) as lifetime_value from customers
)

select
    tiers.tier,
    coalesce(customers_per_tier.customers, 0) as customers,
    coalesce(customers_per_tier.lifetime_value, 0) as lifetime_value,
    {{ ratio_or_null('coalesce(customers_per_tier.lifetime_value, 0)',
                     'total_value.lifetime_value') }} as share_of_value,
    {{ as_money(ratio_or_null('customers_per_tier.lifetime_value',
                              'customers_per_tier.customers')) }} as avg_lifetime_value,
    {{ ratio_or_null('customers_per_tier.repeat_buyers',
                     'customers_per_tier.customers') }} as repeat_buyer_rate,
    ratings_per_tier.avg_satisfaction,
    {{ as_of_date() }} as as_of_date
from tiers
cross join total_value
left join customers_per_tier on tiers.tier = customers_per_tier.tier
left join ratings_per_tier on tiers.tier = ratings_per_tier.tier
