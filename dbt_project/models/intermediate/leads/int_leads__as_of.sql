{{ changed_records_config(
    'lead_id', "lead_versions_picked()", row_key=['_row_id', '_load_seq', '_loaded_at', 'updated_at']
) }}
-- Each lead's version as of the build date D: the version with the greatest updated_at at
-- or before the end of D; ties go to the later file, then the later row (sources.md).
-- A lead with no version by then does not exist yet as of D.
-- Columns: those of stg_crm__leads (listed there, once) without contact details, original
-- amounts and source file, plus the weighted amount and the status. The row key of the
-- version (_row_id, _load_seq, _loaded_at) stays: it records which version was picked.
-- Incremental (macros/changed_records.sql): a lead's row is a function of the one version
-- picked for it, so a daily run compares the pick of now (lead_versions_picked, row keys
-- only) with the versions the table holds and rebuilds only the leads whose pick moved.
with versions_until_d as (
    select *
    from {{ ref('stg_crm__leads') }} as versions
    where updated_at < {{ as_of_end() }}
      and {{ only_changed_records('versions', 'lead_id') }}
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by lead_id
            order by {{ lead_version_order() }}
        ) as version_rank
    from versions_until_d
)

select
    {{ columns_except(
        ref('stg_crm__leads'),
        except=[
            'contact_phone', 'contact_email', 'requirement', 'budget_original',
            'amount_original', '_source_file', '_source_row',
        ],
        replace={'loss_reason': mask_contact_data('loss_reason')},
    ) }},  -- loss_reason: free text, no contact data in marts
    {{ as_money('amount * probability / 100.0') }} as weighted_amount,
    case when stage in ('won', 'lost') then stage else 'open' end as status
from ranked_versions
where version_rank = 1
