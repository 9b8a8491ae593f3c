-- Each lead's version as of the build date D: the version with the greatest updated_at at
-- or before the end of D; ties go to the later file, then the later row (sources.md).
-- A lead with no version by then does not exist yet as of D.
with versions_until_d as (
    select *
    from {{ ref('stg_crm__leads') }}
    where updated_at < {{ as_of_end() }}
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by lead_id
            order by updated_at desc, _load_seq desc, _source_row desc
        ) as version_rank
    from versions_until_d
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
    currency,
    budget,
    amount,
    owner,
    team,
    stage,
    stated_probability,
    probability,
    {{ as_money('amount * probability / 100.0') }} as weighted_amount,
    case when stage in ('won', 'lost') then stage else 'open' end as status,
    expected_close_date,
    closed_at,
    {{ mask_contact_data("loss_reason") }} as loss_reason,  -- free text: no contact data in marts
    urgency,
    decision_maker_reached,
    industry,
    region,
    _load_seq
from ranked_versions
where version_rank = 1
