-- One row per service record: the latest clean copy of each service_id, with priority
-- defaulted to medium and renewal amounts in the configured currency.
with landed_copies as (
    select * from {{ source('crm', 'service_records') }}
),

clean_copies as (
    select *
    from landed_copies
    where _row_id not in ({{ quarantined_row_ids('service_records') }})
),

ranked_copies as (
    select
        *,
        row_number() over (
            partition by service_id
            order by updated_at desc nulls last, _load_seq desc, _source_row desc
        ) as copy_rank
    from clean_copies
)

select
    service_id,
    account_name,
    account_id,
    _account_key as account_key,
    opened_at,
    type,
    coalesce(priority, 'medium') as priority,
    agent,
    first_response_at,
    resolved_at,
    satisfaction,
    renewal_amount,
    notes,
    updated_at,
    _row_id,
    _source_file,
    _source_row,
    _load_seq,
    _loaded_at
from ranked_copies
where copy_rank = 1
