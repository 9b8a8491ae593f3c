-- One row per service record: the latest clean copy of each service_id known at the end of
-- D (latest updated_at, then the later file, then the later row), with priority defaulted
-- to medium.
-- Service records carry no currency column: renewal_amount is in the configured currency.
-- Ids, owners and free text pass through the one masking rule (macros/masking.sql): no
-- phone number or e-mail address typed into them reaches a mart. Masked ids that changed
-- carry a short hash of the original, so two ids never merge.
with latest_copies as (
    {{ latest_clean_copies('service_records', 'service_id', 'opened_at') }}
)

select
    {{ mask_identifier("service_id") }} as service_id,
    {{ mask_contact_data("account_name") }} as account_name,
    {{ mask_identifier("account_id") }} as account_id,
    {{ mask_identifier("_account_key") }} as account_key,
    opened_at,
    type,
    coalesce(priority, 'medium') as priority,
    {{ mask_identifier("agent") }} as agent,
    first_response_at,
    resolved_at,
    satisfaction,
    renewal_amount,
    {{ mask_contact_data("notes") }} as notes,
    updated_at,
    _row_id,
    _source_file,
    _source_row,
    _load_seq,
    _loaded_at
from latest_copies
