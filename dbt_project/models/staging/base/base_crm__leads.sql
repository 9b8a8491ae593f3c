{{ landed_rows_config('leads') }}
-- Every landed lead row once, ids and free text masked (macros/landed_rows.sql): the
-- incremental base of stg_crm__leads, which picks the rows and versions that count as of D.
-- contact_phone and contact_email stay as landed here, as in staging: they never leave it.
{{ masked_landed_rows(
    'leads',
    identifiers=['lead_id', 'account_id', '_account_key', 'owner'],
    texts=[
        'account_name', 'contact_name', 'requirement', 'team', 'loss_reason', 'industry',
        'region',
    ],
) }}
