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

{#- Which load a base row came from: the load and its time (a load that was interrupted and
    done again gets the same _load_seq, never the same _loaded_at). Raw gains and loses rows
    only a whole load at a time (ingestion/loader.py: a load is appended, or its rows are
    deleted when it is rejected or was never recorded), so a base is kept equal to raw by
    comparing loads, each with its row count, instead of every row's key: the loads are a
    few hundred rows to compare where the rows are millions (a whole-table anti-join of
    row keys cost ~1 s per base and per statement at 10^6 leads, docs/benchmarks.md). -#}
{% macro landed_load_key() -%}
    _load_seq, _loaded_at
{%- endmacro %}

{#- One row per load of `relation`: its key and how many rows of it the relation holds. -#}
{% macro loads_with_row_counts(relation) -%}
    select {{ landed_load_key() }}, count(*) as row_count
    from {{ relation }}
    group by {{ landed_load_key() }}
{%- endmacro %}

{#- Delete the base rows of every load the base does not hold exactly as raw does: a load
    that left raw, or one held with another row count (not expected: a build's dbt step runs
    after its loads are written, under the one-writer lock; compared anyway, so a base never
    keeps part of a load). The append then brings back the whole load if raw still has it. Only on an incremental run; the first run and a --full-refresh build the
    table from raw itself. Dispatched: an engine without DELETE on plain tables (Spark on
    Parquet) needs its own way, or full refreshes. -#}
{% macro forget_vanished_rows(entity) -%}
    {{ return(adapter.dispatch('forget_vanished_rows')(entity)) }}
{%- endmacro %}

{% macro default__forget_vanished_rows(entity) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where ({{ landed_load_key() }}) in (
            select {{ landed_load_key() }}
            from (
                {{ loads_with_row_counts(this) }}
                except
                {{ loads_with_row_counts(source('crm', entity)) }}
            ) as loads_not_held_as_landed
        )
    {%- else -%}
        select 1 as nothing_to_forget
    {%- endif -%}
{%- endmacro %}

{#- Every raw row of `entity` without its _raw and _errors (the loader's record of the
    original text: never needed past raw), `identifiers` through mask_identifier and `texts`
    through mask_contact_data, other columns as landed. On an incremental run only the rows
    the table does not hold yet: those of the loads it does not hold (after the pre-hook,
    every load it holds, it holds whole). -#}
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
    where ({{ landed_load_key() }}) not in (
        select distinct {{ landed_load_key() }} from {{ this }}
    )
    {%- endif %}
{%- endmacro %}
