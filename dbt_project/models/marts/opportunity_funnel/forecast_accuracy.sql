-- 预测准确率: one row per month M from the first lead's month to D's month. The forecast of
-- M is reconstructed from the append-only lead versions (no build on M's first day needed):
-- each lead's version as it stood at the start of M's first day (the latest version with
-- updated_at before M 00:00, only versions known by the end of D). Deals open then and
-- expected to close in M form the forecast: forecast_weighted_amount and
-- forecast_open_amount. Their outcome is judged at the end of M — or at the end of D for
-- D's month (the month so far) — from the version as it stood then:
--   won_as_forecast_amount  forecast deals won in M (amount as won);
--   slipped_amount          forecast deals still open at the end of M (forecast amount);
--   lost_forecast_amount    forecast deals lost by the end of M (forecast amount);
-- and every deal won in M (as of D, by closed_at) falls in one class of actual_won_amount:
--   won_as_forecast_amount, pulled_in_amount (open at the start, expected in a later month),
--   won_off_forecast_amount (open at the start, expected in an earlier month or without an
--   expected close date), won_unforecast_amount (not open at M's start: created during M,
--   or lost then and recycled).
-- accuracy_ratio = actual_won_amount ÷ forecast_weighted_amount (NULL when the forecast is
-- 0); accuracy_pct = 1 − |forecast_weighted_amount − actual_won_amount| ÷ actual_won_amount
-- (NULL when nothing was won; negative when the forecast missed by more than the actual).
with versions_until_d as (
    select
        lead_id,
        stage,
        amount,
        probability,
        expected_close_date,
        updated_at,
        coalesce(superseded_at, {{ as_of_end() }}) as superseded_at
    from {{ ref('int_leads__version_spans') }}
),

leads_as_of as (
    select * from {{ ref('int_leads__as_of') }}
),

months as (
    select
        period_start as month,
        cast(period_start as {{ dbt.type_timestamp() }}) as month_start_at,
        case
            when cast({{ dbt.dateadd('month', 1, 'period_start') }} as {{ dbt.type_timestamp() }})
                 < {{ as_of_end() }}
                then cast({{ dbt.dateadd('month', 1, 'period_start') }} as {{ dbt.type_timestamp() }})
            else {{ as_of_end() }}
        end as month_end_at
    from ({{ period_spine(
        'month',
        '(select ' ~ month_of('min(created_at)') ~ ' from ' ~ ref('int_leads__as_of') ~ ')',
        as_of_month()
    ) }}) as month_spine
),

open_at_start as (
    select
        months.month,
        versions_until_d.lead_id,
        versions_until_d.amount,
        {{ as_money('versions_until_d.amount * versions_until_d.probability / 100.0') }}
            as weighted_amount,
        {{ month_of('versions_until_d.expected_close_date') }} as expected_close_month
    from months
    inner join versions_until_d
        on versions_until_d.updated_at < months.month_start_at
       and versions_until_d.superseded_at >= months.month_start_at
    where versions_until_d.stage not in ('won', 'lost')
),

stage_at_end as (
    select
        months.month,
        versions_until_d.lead_id,
        versions_until_d.stage
    from months
    inner join versions_until_d
        on versions_until_d.updated_at < months.month_end_at
       and versions_until_d.superseded_at >= months.month_end_at
),

forecast_outcomes as (
    select
        open_at_start.month,
        sum(open_at_start.weighted_amount) as forecast_weighted_amount,
        sum(open_at_start.amount) as forecast_open_amount,
        sum(case when stage_at_end.stage not in ('won', 'lost') then open_at_start.amount end)
            as slipped_amount,
        sum(case when stage_at_end.stage = 'lost' then open_at_start.amount end)
            as lost_forecast_amount
    from open_at_start
    left join stage_at_end
        on open_at_start.month = stage_at_end.month
       and open_at_start.lead_id = stage_at_end.lead_id
    where open_at_start.expected_close_month = open_at_start.month
    group by open_at_start.month
),

won_in_month as (
    select
        lead_id,
        {{ month_of('closed_at') }} as month,
        amount
    from leads_as_of
    where status = 'won'
      and closed_at < {{ as_of_end() }}
),

won_by_class as (
    select
        won_in_month.month,
        sum(won_in_month.amount) as actual_won_amount,
        sum(case when open_at_start.expected_close_month = won_in_month.month
                 then won_in_month.amount end) as won_as_forecast_amount,
        sum(case when open_at_start.expected_close_month > won_in_month.month
                 then won_in_month.amount end) as pulled_in_amount,
        sum(case when open_at_start.lead_id is not null
                  and (open_at_start.expected_close_month is null
                       or open_at_start.expected_close_month < won_in_month.month)
                 then won_in_month.amount end) as won_off_forecast_amount,
        sum(case when open_at_start.lead_id is null then won_in_month.amount end)
            as won_unforecast_amount
    from won_in_month
    left join open_at_start
        on won_in_month.month = open_at_start.month
       and won_in_month.lead_id = open_at_start.lead_id
    group by won_in_month.month
),

accuracy as (
    select
        months.month,
        coalesce(forecast_outcomes.forecast_weighted_amount, 0) as forecast_weighted_amount,
        coalesce(forecast_outcomes.forecast_open_amount, 0) as forecast_open_amount,
        coalesce(won_by_class.actual_won_amount, 0) as actual_won_amount,
        coalesce(won_by_class.won_as_forecast_amount, 0) as won_as_forecast_amount,
        coalesce(won_by_class.pulled_in_amount, 0) as pulled_in_amount,
        coalesce(forecast_outcomes.slipped_amount, 0) as slipped_amount,
        coalesce(forecast_outcomes.lost_forecast_amount, 0) as lost_forecast_amount,
        coalesce(won_by_class.won_unforecast_amount, 0) as won_unforecast_amount,
        coalesce(won_by_class.won_off_forecast_amount, 0) as won_off_forecast_amount
    from months
    left join forecast_outcomes on months.month = forecast_outcomes.month
    left join won_by_class on months.month = won_by_class.month
)

select
    month,
    forecast_weighted_amount,
    forecast_open_amount,
    actual_won_amount,
    won_as_forecast_amount,
    pulled_in_amount,
    slipped_amount,
    lost_forecast_amount,
    won_unforecast_amount,
    won_off_forecast_amount,
    {{ ratio_or_null('actual_won_amount', 'forecast_weighted_amount') }} as accuracy_ratio,
    1 - {{ ratio_or_null('abs(forecast_weighted_amount - actual_won_amount)', 'actual_won_amount') }}
        as accuracy_pct,
    {{ as_of_date() }} as as_of_date
from accuracy
