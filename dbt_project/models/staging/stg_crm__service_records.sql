{{ changed_records_config(
    'service_id', "latest_clean_copies('service_records', 'service_id', 'opened_at')"
) }}
-- One row per service record: the latest clean copy of each service_id known at the end of
-- D (latest updated_at, then the later file, then the later row), with priority defaulted
-- to medium.
-- Service records carry no currency column: renewal_amount is in the configured currency.
-- Ids, owners and free text arrive masked by the one masking rule (macros/masking.sql),
-- applied once per landed row in the incremental base (models/staging/base): no phone
-- number or e-mail address typed into them reaches a mart. Masked ids that changed carry a
-- short hash of the original, so two ids never merge, and copies of one record stay
-- together.
-- Incremental (macros/changed_records.sql): a daily run rebuilds only the records whose
-- latest copy known as of D differs from the one the table holds.
with latest_copies as (
    {{ latest_clean_copies(
        'service_records', 'service_id', 'opened_at', only_changed_records('landed', 'service_id')
    ) }}
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
from latest_copies
