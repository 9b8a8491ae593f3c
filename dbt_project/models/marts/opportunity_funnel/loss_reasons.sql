-- 丢单原因: one row per (month of closed_at, loss_reason) over the deals lost as of D.
with lost_opportunities as (
    select
        {{ month_of('closed_at') }} as month,
        loss_reason,
        amount
    from {{ ref('fct_opportunities') }}
    where status = 'lost'
)

select
    month,
    loss_reason,
    count(*) as lost_count,
    coalesce(sum(amount), 0) as lost_amount,
    {{ as_of_date() }} as as_of_date
from lost_opportunities
group by month, loss_reason
