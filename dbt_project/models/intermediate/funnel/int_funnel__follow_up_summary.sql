-- Follow-up activity of each lead as of D: how many follow-ups happened at or before the
-- end of D, the latest one's time, and the next follow-up it planned (marts.md, "Last
-- touch" and is_overdue_follow_up). Leads without follow-ups have no row.
with follow_ups_until_d as (
    select lead_id, follow_up_id, occurred_at, next_follow_up_at
    from {{ ref('stg_crm__follow_ups') }}
    where occurred_at < {{ as_of_end() }}
),

activity_per_lead as (
    select
        lead_id,
        count(*) as follow_up_count,
        max(occurred_at) as last_follow_up_at
    from follow_ups_until_d
    group by lead_id
),

latest_follow_up as (
    {{ latest_row_per_group(
        'follow_ups_until_d', 'lead_id',
        order_by=['occurred_at', text_sort_key('follow_up_id')],
        columns=['follow_up_id', 'next_follow_up_at'],
    ) }}
)

select
    activity_per_lead.lead_id,
    activity_per_lead.follow_up_count,
    activity_per_lead.last_follow_up_at,
    latest_follow_up.follow_up_id as last_follow_up_id,
    latest_follow_up.next_follow_up_at
from activity_per_lead
inner join latest_follow_up
    on activity_per_lead.lead_id = latest_follow_up.lead_id
