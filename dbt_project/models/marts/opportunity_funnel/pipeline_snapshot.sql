{{ config(
    materialized='incremental',
    incremental_strategy=replace_by_date_strategy(),
    partition_by=replace_by_date_partition('snapshot_date'),
    unique_key='snapshot_date',
    on_schema_change='append_new_columns'
) }}
-- 管道快照: the open pipeline by stage as the build of D saw it. One set of rows per build
-- date, kept across builds: each build writes the rows of snapshot_date = D and a rebuild
-- of D replaces exactly those rows (delete+insert on snapshot_date). Every open stage gets a
-- row, with zero counts when no deal sits in it. A --full-refresh drops the history.
with open_opportunities as (
    select stage, amount, weighted_amount
    from {{ ref('fct_opportunities') }}
    where status = 'open'
),

open_stages as (
    {{ funnel_open_stage_rows() }}
)

select
    {{ as_of_date() }} as snapshot_date,
    open_stages.stage,
    open_stages.stage_order,
    count(open_opportunities.stage) as open_count,
    coalesce(sum(open_opportunities.amount), 0) as open_amount,
    coalesce(sum(open_opportunities.weighted_amount), 0) as weighted_amount,
    {{ as_of_date() }} as as_of_date
from open_stages
left join open_opportunities
    on open_stages.stage = open_opportunities.stage
group by open_stages.stage, open_stages.stage_order
