{{ config(
    materialized='incremental',
    incremental_strategy=replace_by_date_strategy(),
    partition_by=replace_by_date_partition('snapshot_date'),
    unique_key='snapshot_date',
    on_schema_change='append_new_columns'
) }}
-- 预测快照: the open pipeline by expected close month as the build of D saw it, kept
-- across builds like pipeline_snapshot (one set of rows per snapshot_date = D; a rebuild of
-- D replaces only D's rows), for audit: forecast_accuracy reconstructs each month's
-- forecast from the lead versions instead. Open deals without an expected close date go
-- to expected_close_month NULL.
with open_opportunities as (
    select
        {{ month_of('expected_close_date') }} as expected_close_month,
        amount,
        weighted_amount
    from {{ ref('fct_opportunities') }}
    where status = 'open'
)

select
    {{ as_of_date() }} as snapshot_date,
    expected_close_month,
    count(*) as open_count,
    coalesce(sum(amount), 0) as open_amount,
    coalesce(sum(weighted_amount), 0) as weighted_amount,
    {{ as_of_date() }} as as_of_date
from open_opportunities
group by expected_close_month
