{{ changed_records_config(
    'follow_up_id', "latest_clean_copies('follow_ups', 'follow_up_id', 'occurred_at')"
) }}
-- One row per follow-up: the latest clean copy of each follow_up_id known at the end of D
-- (latest updated_at, then the later file, then the later row). Quarantined copies never
-- count.
-- Ids, owners and free text arrive masked by the one masking rule (macros/masking.sql),
-- applied once per landed row in the incremental base (models/staging/base): no phone
-- number or e-mail address typed into them reaches a mart. Masked ids that changed carry a
-- short hash of the original, so two ids never merge, and copies of one record stay
-- together.
-- Incremental (macros/changed_records.sql): a daily run rebuilds only the records whose
-- latest copy known as of D differs from the one the table holds.
with latest_copies as (
    {{ latest_clean_copies(
        'follow_ups', 'follow_up_id', 'occurred_at', only_changed_records('landed', 'follow_up_id')
    ) }}
)

select
    follow_up_id,
    lead_id,
    occurred_at,
    owner,
    channel,
    stage_after,
    next_follow_up_at,
    notes,
    updated_at,
    _row_id,
    _source_file,
    _source_row,
    _load_seq,
    _loaded_at
from latest_copies
