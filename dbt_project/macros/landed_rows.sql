{#- The incremental base of staging (models/staging/base): every landed raw row once, with
    the one masking rule applied to its ids and free text. Masking is the costly per-row
    work of staging (several regular expressions per column) and depends on nothing but
    the row itself: no business date D, no configuration, no quality decision. So a base
    table can be kept from build to build, gaining only the rows landed since, and still
    equal a rebuild from scratch at every moment. Everything that depends on D (which rows
    are checked and not quarantined as of D, from when a copy is known, the latest copy) or
    on the configuration (currency, rates, time zone) stays in the stg_crm__* models
    downstream, rebuilt each run. A row leaves raw only when its load was never recorded
    (ingestion/loader.py: rejected or interrupted loads); the pre-hook forgets such rows,
    so a base table holds exactly the rows of raw, masked. A change of the masking rule or
    of these models needs one `--full-refresh` (docs/operations.md). -#}

{#- The config of a base model: incremental, appending the rows not yet held. -#}
{% macro landed_rows_config(entity) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ forget_vanished_rows('" ~ entity ~ "') }}",
    ) }}
{%- endmacro %}

{#- Which landed row a base row is: the row key, its load and the load's time (a load that
    was interrupted and done again gets the same load_seq, never the same _loaded_at). -#}
{% macro landed_row_key() -%}
    _row_id, _load_seq, _loaded_at
{%- endmacro %}

{#- Delete the base rows whose raw row is gone (only on an incremental run; the first run
    and a --full-refresh build the table from raw itself). Dispatched: an engine without
    DELETE on plain tables (Spark on Parquet) needs its own way, or full refreshes. -#}
{% macro forget_vanished_rows(entity) -%}
    {{ return(adapter.dispatch('forget_vanished_rows')(entity)) }}
{%- endmacro %}

{% macro default__forget_vanished_rows(entity) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where ({{ landed_row_key() }}) not in (
            select {{ landed_row_key() }} from {{ source('crm', entity) }}
        )
    {%- else -%}
        select 1 as nothing_to_forget
    {%- endif -%}
{%- endmacro %}

{#- Every raw row of `entity` without its _raw and _errors (the loader's record of the
    original text: never needed past raw), `identifiers` through mask_identifier and `texts`
    through mask_contact_data, other columns as landed. On an incremental run only the rows
    the table does not hold yet. -#}
{% macro masked_landed_rows(entity, identifiers, texts) -%}
    {%- set replace = {} -%}
    {%- for column in identifiers -%}
        {%- do replace.update({column: mask_identifier(column)}) -%}
    {%- endfor -%}
    {%- for column in texts -%}
        {%- do replace.update({column: mask_contact_data(column)}) -%}
    {%- endfor -%}
    select
        {{ columns_except(source('crm', entity), except=['_raw', '_errors'], replace=replace) }}
    from {{ source('crm', entity) }}
    {% if is_incremental() -%}
    where ({{ landed_row_key() }}) not in (select {{ landed_row_key() }} from {{ this }})
    {%- endif %}
{%- endmacro %}
