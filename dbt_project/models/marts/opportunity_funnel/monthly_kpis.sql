-- 月度指标: one row per local month from the first lead's month to D's month. New
-- opportunities by month of created_at; won and lost deals (status as of D) by month of
-- closed_at; sales cycle statistics over the deals won in the month.
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

months as (
    select period_start as month
    from ({{ period_spine(
        'month',
        '(select ' ~ month_of('min(created_at)') ~ ' from opportunities)',
        as_of_month()
    ) }}) as month_spine
),

monthly as (
    {{ opportunity_outcomes_by_period('month', 'months', 'month') }}
)

select
    month,
    new_opportunities,
    won_count,
    lost_count,
    {{ ratio_or_null('won_count', 'won_count + lost_count') }} as win_rate,
    won_amount,
    lost_amount,
    {{ ratio_or_null('won_amount', 'won_amount + lost_amount') }} as win_rate_by_amount,
    avg_sales_cycle_days,
    median_sales_cycle_days,
    {{ as_of_date() }} as as_of_date
from monthly
