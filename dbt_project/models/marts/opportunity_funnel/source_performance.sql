-- 渠道分析: one row per (cohort month of created_at, source): how the leads a channel
-- brought in that month have turned out as of D.
with opportunities as (
    select
        {{ month_of('created_at') }} as cohort_month,
        source,
        status,
        amount,
        sales_cycle_days
    from {{ ref('fct_opportunities') }}
),

per_cohort_source as (
    select
        cohort_month,
        source,
        count(*) as leads,
        count(case when status = 'won' then 1 end) as won_count,
        count(case when status = 'lost' then 1 end) as lost_count,
        coalesce(sum(case when status = 'won' then amount end), 0) as won_amount,
        avg(case when status = 'won' then {{ as_double('sales_cycle_days') }} end) as avg_sales_cycle_days
    from opportunities
    group by cohort_month, source
)

select
    cohort_month,
    source,
    leads,
    won_count,
    lost_count,
    {{ ratio_or_null('won_count', 'won_count + lost_count') }} as win_rate,
    won_amount,
    avg_sales_cycle_days,
    {{ as_of_date() }} as as_of_date
from per_cohort_source
