{{ config(alias='kpi_summary') }}
-- 商机总览: one row of headline figures as of D. mtd = first of D's month through D; the
-- 90-day window is the local dates D-89 through D (the 90 is part of the column names).
-- follow_up_loss_rate (跟进丢失率) = open deals untouched for more than no_touch_days ÷ open.
{% set window_days = 90 %}
with opportunities as (
    select
        *,
        cast(created_at as date) >= {{ as_of_month() }} as is_created_mtd,
        coalesce(
            cast(closed_at as date) >= {{ as_of_month() }}
            and cast(closed_at as date) <= {{ as_of_date() }},
            false
        ) as is_closed_mtd,
        coalesce(
            cast(closed_at as date)
                >= cast({{ dbt.dateadd('day', 1 - window_days, as_of_date()) }} as date)
            and cast(closed_at as date) <= {{ as_of_date() }},
            false
        ) as is_closed_90d
    from {{ ref('fct_opportunities') }}
)

select
    {{ as_of_date() }} as as_of_date,
    count(case when status = 'open' then 1 end) as open_count,
    coalesce(sum(case when status = 'open' then amount end), 0) as open_amount,
    coalesce(sum(case when status = 'open' then weighted_amount end), 0) as weighted_pipeline,
    count(case when is_created_mtd then 1 end) as new_opportunities_mtd,
    coalesce(
        sum(case when status = 'won' and is_closed_mtd then amount end), 0
    ) as won_amount_mtd,
    count(case when status = 'won' and is_closed_90d then 1 end)
        as won_count_90d,
    count(case when status = 'lost' and is_closed_90d then 1 end)
        as lost_count_90d,
    {{ ratio_or_null(
        "count(case when status = 'won' and is_closed_90d then 1 end)",
        "count(case when status in ('won', 'lost') and is_closed_90d then 1 end)"
    ) }} as win_rate_90d,
    avg(case when status = 'won' and is_closed_90d then {{ as_double('sales_cycle_days') }} end)
        as avg_sales_cycle_days_90d,
    count(case when is_stalled then 1 end) as stalled_count,
    count(case when is_no_touch then 1 end) as no_touch_count,
    {{ ratio_or_null(
        "count(case when is_no_touch then 1 end)",
        "count(case when status = 'open' then 1 end)"
    ) }} as follow_up_loss_rate,
    count(case when is_overdue_follow_up then 1 end) as overdue_follow_up_count,
    count(case when is_recycle_candidate then 1 end) as recycle_candidate_count,
    count(case when is_past_due_close then 1 end) as past_due_close_count,
    count(case when is_missing_close_date then 1 end) as no_close_date_count,
    count(case when is_recycled then 1 end) as recycled_count,
    count(case when is_recycled and status = 'won' then 1 end) as recycled_won_count
from opportunities
