{{ changed_records_config('lead_id', "clean_rows('leads')") }}
-- Every clean version of every lead (rows quarantined as of D excluded), with the contract's
-- defaults applied: updated_at from the time the version is known (copy_known_from: the
-- first copy from created_at, a later copy from its file's business date), amount from
-- budget, probability from the stage, currency from the configuration, and money converted
-- to the configured currency.
-- Ids, owners and free text arrive masked by the one masking rule (macros/masking.sql),
-- applied once per landed row in the incremental base (models/staging/base): no phone
-- number or e-mail address typed into them reaches a mart. Masked ids that changed carry a
-- short hash of the original, so two ids never merge, and copies of one record stay
-- together.
-- Incremental (macros/changed_records.sql): a daily run rebuilds only the leads whose clean
-- rows as of D differ from the rows the table holds.
-- The column list is written once, below; the CTE only adds the defaults it reuses.
with clean_versions as (
    select
        clean.*,
        {{ copy_known_from('lead_id', 'created_at') }} as _known_from_at,
        coalesce(clean.currency, '{{ var("currency") }}') as _currency_or_default,
        coalesce(clean.amount, clean.budget) as _amount_or_budget
    from ({{ clean_rows('leads', only_changed_records('landed', 'lead_id')) }}) as clean
)

select
    lead_id,
    created_at,
    _known_from_at as updated_at,
    source,
    account_name,
    account_id,
    _account_key as account_key,
    contact_name,
    contact_phone,
    contact_email,
    requirement,
    _currency_or_default as currency,
    budget as budget_original,
    _amount_or_budget as amount_original,
    {{ to_base_currency('budget', '_currency_or_default') }} as budget,
    {{ to_base_currency('_amount_or_budget', '_currency_or_default') }} as amount,
    owner,
    team,
    stage,
    probability as stated_probability,
    coalesce(probability, {{ stage_attribute('stage', 'probability') }}) as probability,
    expected_close_date,
    closed_at,
    loss_reason,
    urgency,
    decision_maker_reached,
    industry,
    region,
    _row_id,
    _source_file,
    _source_row,
    _load_seq,
    _loaded_at
from clean_versions
