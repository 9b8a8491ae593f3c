-- Every clean version of every lead (rows quarantined as of D excluded), with the contract's
-- defaults applied: updated_at from the time the version is known (copy_known_from: the
-- first copy from created_at, a later copy from its file's business date), amount from
-- budget, probability from the stage, currency from the configuration, and money converted
-- to the configured currency.
-- Ids, owners and free text pass through the one masking rule (macros/masking.sql): no
-- phone number or e-mail address typed into them reaches a mart. Masked ids that changed
-- carry a short hash of the original, so two ids never merge.
-- The column list is written once, below; the CTE only adds the defaults it reuses.
with clean_versions as (
    select
        clean.*,
        {{ copy_known_from('lead_id', 'created_at') }} as _known_from_at,
        coalesce(clean.currency, '{{ var("currency") }}') as _currency_or_default,
        coalesce(clean.amount, clean.budget) as _amount_or_budget
    from ({{ clean_rows('leads') }}) as clean
)

select
    {{ mask_identifier("lead_id") }} as lead_id,
    created_at,
    _known_from_at as updated_at,
    source,
    {{ mask_contact_data("account_name") }} as account_name,
    {{ mask_identifier("account_id") }} as account_id,
    {{ mask_identifier("_account_key") }} as account_key,
    {{ mask_contact_data("contact_name") }} as contact_name,
    contact_phone,
    contact_email,
    {{ mask_contact_data("requirement") }} as requirement,
    _currency_or_default as currency,
    budget as budget_original,
    _amount_or_budget as amount_original,
    {{ to_base_currency('budget', '_currency_or_default') }} as budget,
    {{ to_base_currency('_amount_or_budget', '_currency_or_default') }} as amount,
    {{ mask_identifier("owner") }} as owner,
    {{ mask_contact_data("team") }} as team,
    stage,
    probability as stated_probability,
    coalesce(probability, {{ stage_attribute('stage', 'probability') }}) as probability,
    expected_close_date,
    closed_at,
    {{ mask_contact_data("loss_reason") }} as loss_reason,
    urgency,
    decision_maker_reached,
    {{ mask_contact_data("industry") }} as industry,
    {{ mask_contact_data("region") }} as region,
    _row_id,
    _source_file,
    _source_row,
    _load_seq,
    _loaded_at
from clean_versions
