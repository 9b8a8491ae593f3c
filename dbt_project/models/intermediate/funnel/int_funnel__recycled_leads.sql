-- Recycled deals (回收再激活) as of D: a lost lead whose later version is in an open stage
-- (marts.md, is_recycled / recycled_at). One row per such lead; recycled_at is the
-- updated_at of the first open version that follows a lost version. Versions are ordered
-- as in int_leads__as_of (updated_at, then the later file, then the later row) and only
-- those known at the end of D count. What happens after (won, lost again) is the deal's
-- outcome like any other's.
with versions_until_d as (
    select
        lead_id,
        stage,
        updated_at,
        lag(stage) over (
            partition by lead_id order by updated_at, _load_seq, _source_row
        ) as previous_stage
    from {{ ref('stg_crm__leads') }}
    where updated_at < {{ as_of_end() }}
)

select
    lead_id,
    min(updated_at) as recycled_at,
    count(*) as times_recycled
from versions_until_d
where previous_stage = 'lost'
  and stage not in ('won', 'lost')
group by lead_id
