-- 阶段转化: one row per (cohort month of created_at, open stage). A lead reached a stage
-- when its furthest stage (won above every open stage, lost never counting) is that stage
-- or later; it advanced when it reached the next open stage (won after the last one).
with opportunities as (
    select
        lead_id,
        {{ month_of('created_at') }} as cohort_month,
        status,
        furthest_reach_rank
    from {{ ref('fct_opportunities') }}
),

open_stages as (
    {{ funnel_open_stage_rows() }}
),

cohort_months as (
    select distinct cohort_month
    from opportunities
),

cohort_stage_counts as (
    select
        cohort_months.cohort_month,
        open_stages.stage,
        open_stages.stage_order,
        count(case when opportunities.furthest_reach_rank >= open_stages.reach_rank then 1 end)
            as reached_count,
        count(case when opportunities.furthest_reach_rank >= open_stages.next_reach_rank then 1 end)
            as advanced_count,
        count(
            case
                when opportunities.furthest_reach_rank >= open_stages.reach_rank
                    and opportunities.status = 'won'
                    then 1
            end
        ) as won_count
    from cohort_months
    cross join open_stages
    left join opportunities
        on cohort_months.cohort_month = opportunities.cohort_month
    group by cohort_months.cohort_month, open_stages.stage, open_stages.stage_order
)

select
    cohort_month,
    stage,
    stage_order,
    reached_count,
    advanced_count,
    won_count,
    {{ ratio_or_null('advanced_count', 'reached_count') }} as conversion_to_next_rate,
    {{ ratio_or_null('won_count', 'reached_count') }} as conversion_to_won_rate,
    {{ as_of_date() }} as as_of_date
from cohort_stage_counts
