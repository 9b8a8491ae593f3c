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
    select lead_id, stage, amount, probability, updated_at, _load_seq, _source_row
    from {{ ref('stg_crm__leads') }}
    where updated_at < {{ as_of_end() }}
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

created_per_week as (
    select {{ week_of('created_at') }} as week_start, count(*) as new_opportunities
    from opportunities
    group by {{ week_of('created_at') }}
),

closed_per_week as (
    select
        {{ week_of('closed_at') }} as week_start,
        count(case when status = 'won' then 1 end) as won_count,
        count(case when status = 'lost' then 1 end) as lost_count,
        coalesce(sum(case when status = 'won' then amount end), 0) as won_amount,
        coalesce(sum(case when status = 'lost' then amount end), 0) as lost_amount
    from opportunities
    where status in ('won', 'lost')
    group by {{ week_of('closed_at') }}
),

won_cycle_per_week as (
    select
        {{ week_of('closed_at') }} as week_start,
        avg({{ as_double('sales_cycle_days') }}) as avg_sales_cycle_days,
        {{ median('sales_cycle_days') }} as median_sales_cycle_days
    from opportunities
    where status = 'won'
    group by {{ week_of('closed_at') }}
),

ranked_versions_at_week_end as (
    select
        weeks.week_start,
        versions_until_d.stage,
        versions_until_d.amount,
        versions_until_d.probability,
        row_number() over (
            partition by weeks.week_start, versions_until_d.lead_id
            order by versions_until_d.updated_at desc, versions_until_d._load_seq desc,
                versions_until_d._source_row desc
        ) as version_rank
    from weeks
    inner join versions_until_d
        on versions_until_d.updated_at < weeks.week_end_at
),

open_at_week_end as (
    select
        week_start,
        count(*) as open_count,
        sum({{ as_money('amount * probability / 100.0') }}) as weighted_pipeline
    from ranked_versions_at_week_end
    where version_rank = 1
      and stage not in ('won', 'lost')
    group by week_start
),

weekly as (
    select
        weeks.week_start,
        coalesce(created_per_week.new_opportunities, 0) as new_opportunities,
        coalesce(closed_per_week.won_count, 0) as won_count,
        coalesce(closed_per_week.lost_count, 0) as lost_count,
        coalesce(closed_per_week.won_amount, 0) as won_amount,
        coalesce(closed_per_week.lost_amount, 0) as lost_amount,
        won_cycle_per_week.avg_sales_cycle_days,
        won_cycle_per_week.median_sales_cycle_days,
        coalesce(open_at_week_end.open_count, 0) as open_count,
        coalesce(open_at_week_end.weighted_pipeline, 0) as weighted_pipeline
    from weeks
    left join created_per_week on weeks.week_start = created_per_week.week_start
    left join closed_per_week on weeks.week_start = closed_per_week.week_start
    left join won_cycle_per_week on weeks.week_start = won_cycle_per_week.week_start
    left join open_at_week_end on weeks.week_start = open_at_week_end.week_start
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
