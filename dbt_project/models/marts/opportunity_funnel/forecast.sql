-- 销售预测: one row per expected close month with open or won deals. Open deals count by the
-- month of expected_close_date (NULL month when they have none); won deals by the month of
-- closed_at.
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

open_by_month as (
    select
        {{ month_of('expected_close_date') }} as expected_close_month,
        count(*) as open_count,
        sum(amount) as open_amount,
        sum(weighted_amount) as weighted_amount,
        0 as won_count,
        0 as won_amount
    from opportunities
    where status = 'open'
    group by {{ month_of('expected_close_date') }}
),

won_by_month as (
    select
        {{ month_of('closed_at') }} as expected_close_month,
        0 as open_count,
        0 as open_amount,
        0 as weighted_amount,
        count(*) as won_count,
        sum(amount) as won_amount
    from opportunities
    where status = 'won'
    group by {{ month_of('closed_at') }}
),

open_and_won as (
    select * from open_by_month
    union all
    select * from won_by_month
)

select
    expected_close_month,
    cast(sum(open_count) as {{ dbt.type_bigint() }}) as open_count,
    sum(open_amount) as open_amount,
    sum(weighted_amount) as weighted_amount,
    cast(sum(won_count) as {{ dbt.type_bigint() }}) as won_count,
    sum(won_amount) as won_amount,
    {{ as_of_date() }} as as_of_date
from open_and_won
group by expected_close_month
