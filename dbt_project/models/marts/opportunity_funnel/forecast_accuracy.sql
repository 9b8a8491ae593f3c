-- 预测准确率: one row per month M for which a snapshot taken on M's first day (at or before
-- D) exists. forecast_weighted_amount = that snapshot's weighted amount of open deals
-- expected to close in M; actual_won_amount = deals won in M as of D (month to date for D's
-- month); accuracy_ratio = actual ÷ forecast, NULL when the forecast is 0.
with first_day_snapshots as (
    select distinct snapshot_date as month
    from {{ ref('pipeline_snapshot') }}
    where snapshot_date <= {{ as_of_date() }}
      and snapshot_date = {{ month_of('snapshot_date') }}
),

forecast_for_own_month as (
    select
        snapshot_date as month,
        sum(weighted_amount) as forecast_weighted_amount
    from {{ ref('forecast_snapshot') }}
    where snapshot_date <= {{ as_of_date() }}
      and expected_close_month = snapshot_date
    group by snapshot_date
),

won_by_month as (
    select
        {{ month_of('closed_at') }} as month,
        sum(amount) as actual_won_amount
    from {{ ref('fct_opportunities') }}
    where status = 'won'
    group by {{ month_of('closed_at') }}
),

accuracy as (
    select
        first_day_snapshots.month,
        coalesce(forecast_for_own_month.forecast_weighted_amount, 0) as forecast_weighted_amount,
        coalesce(won_by_month.actual_won_amount, 0) as actual_won_amount
    from first_day_snapshots
    left join forecast_for_own_month
        on first_day_snapshots.month = forecast_for_own_month.month
    left join won_by_month
        on first_day_snapshots.month = won_by_month.month
)

select
    month,
    forecast_weighted_amount,
    actual_won_amount,
    {{ ratio_or_null('actual_won_amount', 'forecast_weighted_amount') }} as accuracy_ratio,
    {{ as_of_date() }} as as_of_date
from accuracy
