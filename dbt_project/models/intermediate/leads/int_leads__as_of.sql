-- Each lead's version as of the build date D: the version with the greatest updated_at at
-- or before the end of D; ties go to the later file, then the later row (sources.md).
-- A lead with no version by then does not exist yet as of D.
-- Columns: those of stg_crm__leads (listed there, once) without contact details, original
-- amounts and row lineage, plus the weighted amount and the status.
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
    {{ columns_except(
        ref('stg_crm__leads'),
        except=[
            'contact_phone', 'contact_email', 'requirement', 'budget_original',
            'amount_original', '_row_id', '_source_file', '_source_row', '_loaded_at',
        ],
        replace={'loss_reason': mask_contact_data('loss_reason')},
    ) }},  -- loss_reason: free text, no contact data in marts
    {{ as_money('amount * probability / 100.0') }} as weighted_amount,
    case when stage in ('won', 'lost') then stage else 'open' end as status
from ranked_versions
where version_rank = 1
