-- 团队业绩: one row per (month, team) — the subtotals of rep_performance. A rep counts for
-- the team rep_performance gives it (the team on the rep's most recently created lead);
-- reps without a team make the team NULL row. Counts and amounts are sums; win_rate and
-- avg_sales_cycle_days are recomputed from the sums (the cycle mean weighted by won deals,
-- which equals the mean over the team's won deals); reps = distinct owners with a row;
-- won_amount_per_rep = won_amount ÷ reps. Pipeline columns are filled for D's month only.
with rep_rows as (
    select * from {{ ref('rep_performance') }}
),

per_team as (
    select
        month,
        team,
        count(distinct owner) as reps,
        {{ sum_of_counts('new_opportunities') }} as new_opportunities,
        {{ sum_of_counts('won_count') }} as won_count,
        sum(won_amount) as won_amount,
        {{ sum_of_counts('lost_count') }} as lost_count,
        {{ sum_of_counts('follow_ups') }} as follow_ups,
        sum(avg_sales_cycle_days * won_count) as sales_cycle_days_total,
        sum(case when avg_sales_cycle_days is not null then won_count end) as won_with_cycle,
        {{ sum_of_counts('open_count') }} as open_count,
        sum(weighted_pipeline) as weighted_pipeline,
        {{ sum_of_counts('stalled_count') }} as stalled_count
    from rep_rows
    group by month, team
)

select
    month,
    team,
    reps,
    new_opportunities,
    won_count,
    won_amount,
    lost_count,
    {{ ratio_or_null('won_count', 'won_count + lost_count') }} as win_rate,
    follow_ups,
    {{ ratio_or_null('sales_cycle_days_total', 'won_with_cycle') }} as avg_sales_cycle_days,
    {{ as_money(ratio_or_null('won_amount', 'reps')) }} as won_amount_per_rep,
    open_count,
    weighted_pipeline,
    stalled_count,
    {{ as_of_date() }} as as_of_date
from per_team
