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

created_per_month as (
    select
        {{ month_of('created_at') }} as month,
        count(*) as new_opportunities
    from opportunities
    group by {{ month_of('created_at') }}
),

closed_per_month as (
    select
        {{ month_of('closed_at') }} as month,
        count(case when status = 'won' then 1 end) as won_count,
        count(case when status = 'lost' then 1 end) as lost_count,
        coalesce(sum(case when status = 'won' then amount end), 0) as won_amount,
        coalesce(sum(case when status = 'lost' then amount end), 0) as lost_amount
    from opportunities
    where status in ('won', 'lost')
    group by {{ month_of('closed_at') }}
),

won_cycle_per_month as (
    select
        {{ month_of('closed_at') }} as month,
        avg({{ as_double('sales_cycle_days') }}) as avg_sales_cycle_days,
        {{ median('sales_cycle_days') }} as median_sales_cycle_days
    from opportunities
    where status = 'won'
    group by {{ month_of('closed_at') }}
),

monthly as (
    select
        months.month,
        coalesce(created_per_month.new_opportunities, 0) as new_opportunities,
        coalesce(closed_per_month.won_count, 0) as won_count,
        coalesce(closed_per_month.lost_count, 0) as lost_count,
        coalesce(closed_per_month.won_amount, 0) as won_amount,
        coalesce(closed_per_month.lost_amount, 0) as lost_amount,
        won_cycle_per_month.avg_sales_cycle_days,
        won_cycle_per_month.median_sales_cycle_days
    from months
    left join created_per_month
        on months.month = created_per_month.month
    left join closed_per_month
        on months.month = closed_per_month.month
    left join won_cycle_per_month
        on months.month = won_cycle_per_month.month
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
