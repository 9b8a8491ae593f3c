-- 周度指标: one row per ISO week (Monday start, local dates) from the first lead's week to
-- D's week, for the weekly meeting. The columns of monthly_kpis per week: new opportunities
-- by created_at; won and lost deals (status as of D) by closed_at; sales cycle statistics
-- over the deals won in the week. open_count and weighted_pipeline describe the open
-- pipeline at the week's end (Monday 00:00 of the next week), or at the end of D for D's
-- week, reconstructed from the lead versions known by the end of D.
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

versions_until_d as (
    select
        lead_id,
        stage,
        amount,
        probability,
        updated_at,
        coalesce(superseded_at, {{ as_of_end() }}) as superseded_at
    from {{ ref('int_leads__version_spans') }}
),

weeks as (
    select
        period_start as week_start,
        case
            when cast({{ dbt.dateadd('day', 7, 'period_start') }} as {{ dbt.type_timestamp() }})
                 < {{ as_of_end() }}
                then cast({{ dbt.dateadd('day', 7, 'period_start') }} as {{ dbt.type_timestamp() }})
            else {{ as_of_end() }}
        end as week_end_at
    from ({{ period_spine(
        'week',
        '(select ' ~ week_of('min(created_at)') ~ ' from opportunities)',
        week_of(as_of_date())
    ) }}) as week_spine
),

outcomes_per_week as (
    {{ opportunity_outcomes_by_period('week', 'weeks', 'week_start') }}
),

open_versions_at_week_end as (
    select
        weeks.week_start,
        versions_until_d.amount,
        versions_until_d.probability
    from weeks
    inner join versions_until_d
        on versions_until_d.updated_at < weeks.week_end_at
       and versions_until_d.superseded_at >= weeks.week_end_at
    where versions_until_d.stage not in ('won', 'lost')
),

open_at_week_end as (
    select
        week_start,
        count(*) as open_count,
        sum({{ as_money('amount * probability / 100.0') }}) as weighted_pipeline
    from open_versions_at_week_end
    group by week_start
),

weekly as (
    select
        outcomes_per_week.*,
        coalesce(open_at_week_end.open_count, 0) as open_count,
        coalesce(open_at_week_end.weighted_pipeline, 0) as weighted_pipeline
    from outcomes_per_week
    left join open_at_week_end on outcomes_per_week.week_start = open_at_week_end.week_start
)

select
    week_start,
    new_opportunities,
    won_count,
    lost_count,
    {{ ratio_or_null('won_count', 'won_count + lost_count') }} as win_rate,
    won_amount,
    lost_amount,
    {{ ratio_or_null('won_amount', 'won_amount + lost_amount') }} as win_rate_by_amount,
    avg_sales_cycle_days,
    median_sales_cycle_days,
    open_count,
    weighted_pipeline,
    {{ as_of_date() }} as as_of_date
from weekly
