-- Follow-up activity of each lead as of D: how many follow-ups happened at or before the
-- end of D, the latest one's time, and the next follow-up it planned (marts.md, "Last
-- touch" and is_overdue_follow_up). Leads without follow-ups have no row.
with follow_ups_until_d as (
    select lead_id, follow_up_id, occurred_at, next_follow_up_at
    from {{ ref('stg_crm__follow_ups') }}
    where occurred_at < {{ as_of_end() }}
),

-- the latest follow-up of each lead and, in the same pass over the lead's follow-ups, their
-- count and latest time (one aggregate: a second grouping of 5 M follow-ups and a join
-- cost ~0.6 CPU s at 10^6 leads). The time is an aggregate of its own, not a column of the
-- latest row: a third column in DuckDB's arg_max struct made the pass 2.5 times slower.
latest_follow_up as (
    {{ latest_row_per_group(
        'follow_ups_until_d', 'lead_id',
        order_by=['occurred_at', text_sort_key('follow_up_id')],
        columns=['follow_up_id', 'next_follow_up_at'],
        aggregates={'follow_up_count': 'count(*)', 'last_follow_up_at': 'max(occurred_at)'},
    ) }}
)

select
    lead_id,
    follow_up_count,
    last_follow_up_at,
    follow_up_id as last_follow_up_id,
    next_follow_up_at
from latest_follow_up
