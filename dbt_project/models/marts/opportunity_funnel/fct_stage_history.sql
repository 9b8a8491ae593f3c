-- 阶段历史: one row per stage entry of every lead as of D (marts.md, "Stage history").
-- days_in_stage runs from the entry's local date to the exit's local date, or to D for the
-- current stage.
with stage_entries as (
    select * from {{ ref('int_funnel__stage_entries') }}
)

select
    lead_id,
    entry_number,
    stage,
    {{ stage_attribute('stage', 'label_zh') }} as stage_label_zh,
    stage_order,
    entered_at,
    exited_at,
    case
        when exited_at is null then {{ days_between('entered_at', as_of_date()) }}
        else {{ days_between('entered_at', 'exited_at') }}
    end as days_in_stage,
    is_current,
    entered_via,
    previous_stage,
    skipped_stage_count,
    {{ as_of_date() }} as as_of_date
from stage_entries
