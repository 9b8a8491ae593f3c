{{ landed_rows_config('follow_ups') }}
-- Every landed follow-up row once, ids and notes masked (macros/landed_rows.sql): the
-- incremental base of stg_crm__follow_ups, which picks the copy that counts as of D.
{{ masked_landed_rows(
    'follow_ups',
    identifiers=['follow_up_id', 'lead_id', 'owner'],
    texts=['notes'],
) }}
