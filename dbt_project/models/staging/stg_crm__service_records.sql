-- One row per service record: the latest clean copy of each service_id known at the end of
-- D (latest updated_at, then the later file, then the later row), with priority defaulted
-- to medium.
-- Service records carry no currency column: renewal_amount is in the configured currency.
with landed_copies as (
    select * from {{ source('crm', 'service_records') }}
),

-- not exists rather than not in: one quarantine row without a row_id (a file-level or
-- aggregate finding) must not empty the whole model.
clean_copies as (
    select landed_copies.*
    from landed_copies
    where not exists (
        select 1
        from ({{ quarantined_row_ids('service_records') }}) as held_back
        where held_back.row_id = landed_copies._row_id
    )
),

-- A copy exported after D (updated_at after the end of D) is a later version: a rebuild for
-- a past D must not see it. Copies without updated_at carry no version time and count.
copies_known_at_d as (
    select *
    from clean_copies
    where updated_at is null or updated_at < {{ as_of_end() }}
),

ranked_copies as (
    select
        *,
        row_number() over (
            partition by service_id
            order by updated_at desc nulls last, _load_seq desc, _source_row desc
        ) as copy_rank
    from copies_known_at_d
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
