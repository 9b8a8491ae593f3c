-- 销售业绩: one row per (month, owner) with any activity. Leads count for their owner as of
-- D: created in the month, won or lost (closed in the month); follow-ups count for the rep
-- who made them, in the month they happened. open_count, weighted_pipeline and
-- stalled_count describe the open pipeline as of D and are filled for D's month only.
-- team is the team on the owner's most recently created lead (NULL for reps who only
-- followed up).
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

follow_ups_until_d as (
    select
        {{ month_of('follow_ups.occurred_at') }} as month,
        follow_ups.owner
    from {{ ref('stg_crm__follow_ups') }} as follow_ups
    inner join opportunities
        on follow_ups.lead_id = opportunities.lead_id
    where follow_ups.occurred_at < {{ as_of_end() }}
),

created_by_owner as (
    select
        {{ month_of('created_at') }} as month,
        owner,
        count(*) as new_opportunities
    from opportunities
    group by {{ month_of('created_at') }}, owner
),

closed_by_owner as (
    select
        {{ month_of('closed_at') }} as month,
        owner,
        count(case when status = 'won' then 1 end) as won_count,
        count(case when status = 'lost' then 1 end) as lost_count,
        coalesce(sum(case when status = 'won' then amount end), 0) as won_amount,
        avg(case when status = 'won' then {{ as_double('sales_cycle_days') }} end) as avg_sales_cycle_days
    from opportunities
    where status in ('won', 'lost')
    group by {{ month_of('closed_at') }}, owner
),

follow_ups_by_owner as (
    select month, owner, count(*) as follow_ups
    from follow_ups_until_d
    group by month, owner
),

open_pipeline_by_owner as (
    select
        {{ month_of(as_of_date()) }} as month,
        owner,
        count(*) as open_count,
        sum(weighted_amount) as weighted_pipeline,
        count(case when is_stalled then 1 end) as stalled_count
    from opportunities
    where status = 'open'
    group by owner
),

owner_months as (
    select month, owner from created_by_owner
    union
    select month, owner from closed_by_owner
    union
    select month, owner from follow_ups_by_owner
    union
    select month, owner from open_pipeline_by_owner
    union
    select {{ month_of(as_of_date()) }} as month, owner from opportunities
),

owner_teams as (
    {{ latest_row_per_group(
        'opportunities', 'owner',
        order_by=['created_at', text_sort_key('lead_id')],
        columns=['team'],
    ) }}
)

select
    owner_months.month,
    owner_months.owner,
    owner_teams.team,
    coalesce(created_by_owner.new_opportunities, 0) as new_opportunities,
    coalesce(closed_by_owner.won_count, 0) as won_count,
    coalesce(closed_by_owner.won_amount, 0) as won_amount,
    coalesce(closed_by_owner.lost_count, 0) as lost_count,
    {{ ratio_or_null('closed_by_owner.won_count', 'closed_by_owner.won_count + closed_by_owner.lost_count') }}
        as win_rate,
    coalesce(follow_ups_by_owner.follow_ups, 0) as follow_ups,
    closed_by_owner.avg_sales_cycle_days,
    case
        when owner_months.month = {{ month_of(as_of_date()) }}
            then coalesce(open_pipeline_by_owner.open_count, 0)
    end as open_count,
    case
        when owner_months.month = {{ month_of(as_of_date()) }}
            then coalesce(open_pipeline_by_owner.weighted_pipeline, 0)
    end as weighted_pipeline,
    case
        when owner_months.month = {{ month_of(as_of_date()) }}
            then coalesce(open_pipeline_by_owner.stalled_count, 0)
    end as stalled_count,
    {{ as_of_date() }} as as_of_date
from owner_months
left join owner_teams
    on owner_months.owner = owner_teams.owner
left join created_by_owner
    on owner_months.month = created_by_owner.month
    and owner_months.owner = created_by_owner.owner
left join closed_by_owner
    on owner_months.month = closed_by_owner.month
    and owner_months.owner = closed_by_owner.owner
left join follow_ups_by_owner
    on owner_months.month = follow_ups_by_owner.month
    and owner_months.owner = follow_ups_by_owner.owner
left join open_pipeline_by_owner
    on owner_months.month = open_pipeline_by_owner.month
    and owner_months.owner = open_pipeline_by_owner.owner
