{{ landed_rows_config('service_records') }}
-- Every landed service-record row once, ids, names and notes masked
-- (macros/landed_rows.sql): the incremental base of stg_crm__service_records, which picks
-- the copy that counts as of D.
{{ masked_landed_rows(
    'service_records',
    identifiers=['service_id', 'account_id', '_account_key', 'agent'],
    texts=['account_name', 'notes'],
) }}
