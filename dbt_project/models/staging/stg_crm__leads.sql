-- Every clean version of every lead (rows quarantined as of D excluded), with the contract's
-- defaults applied: updated_at from the time the version is known (copy_known_from: the
-- first copy from created_at, a later copy from its file's business date), amount from
-- budget, probability from the stage, currency from the configuration, and money converted
-- to the configured currency.
with clean_versions as (
    select
        clean.*,
        {{ copy_known_from('lead_id', 'created_at') }} as _known_from_at
    from ({{ clean_rows('leads') }}) as clean
),

defaulted as (
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
        coalesce(currency, '{{ var("currency") }}') as currency,
        budget as budget_original,
        coalesce(amount, budget) as amount_original,
        owner,
        team,
        stage,
        probability as stated_probability,
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
)

select
    lead_id,
    created_at,
    updated_at,
    source,
    account_name,
    account_id,
    account_key,
    contact_name,
    contact_phone,
    contact_email,
    requirement,
    currency,
    budget_original,
    amount_original,
    {{ to_base_currency('budget_original', 'currency') }} as budget,
    {{ to_base_currency('amount_original', 'currency') }} as amount,
    owner,
    team,
    stage,
    stated_probability,
    coalesce(stated_probability, {{ stage_attribute('stage', 'probability') }}) as probability,
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
from defaulted
