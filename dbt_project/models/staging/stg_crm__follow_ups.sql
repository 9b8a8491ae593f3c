-- One row per follow-up: the latest clean copy of each follow_up_id known at the end of D
-- (latest updated_at, then the later file, then the later row). Quarantined copies never
-- count.
-- Ids, owners and free text pass through the one masking rule (macros/masking.sql): no
-- phone number or e-mail address typed into them reaches a mart. Masked ids that changed
-- carry a short hash of the original, so two ids never merge.
with latest_copies as (
    {{ latest_clean_copies('follow_ups', 'follow_up_id', 'occurred_at') }}
)

select
    {{ mask_identifier("follow_up_id") }} as follow_up_id,
    {{ mask_identifier("lead_id") }} as lead_id,
    occurred_at,
    {{ mask_identifier("owner") }} as owner,
    channel,
    stage_after,
    next_follow_up_at,
    {{ mask_contact_data("notes") }} as notes,
    updated_at,
    _row_id,
    _source_file,
    _source_row,
    _load_seq,
    _loaded_at
from latest_copies
