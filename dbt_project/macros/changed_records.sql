{#- Incremental staging (stg_crm__*): rebuild only the records whose rows changed
    (docs/operations.md, "Daily builds are incremental").

    Each staging model holds rows picked from the clean landed rows (macros/staging_rows.sql)
    and keyed by a record id: every clean version of a lead (stg_crm__leads), the latest
    clean copy known at the end of D of a follow-up or service record. The rows of one id
    are a function of three things only: WHICH landed rows the model picks for that id
    (their row keys), those rows' own values (fixed for a row key: a base never changes a
    row it holds), and the model's SQL with the configuration it reads (currency, rates,
    stage probabilities; time zone, which also acts on the pick). The build date D acts
    only through the pick: which rows are clean as of D, which copies are known by its end.

    So an incremental run computes the pick of now for every id (`current_rows`: id and row
    key, cheap, nothing written) and compares it, as a multiset of (id, row key), with the
    rows the table holds; it deletes and rebuilds exactly the ids on either side of a
    difference: rows landed, rows whose load left raw, rows quarantined, released or held
    back by another D, loads newly checked, copies known by one D and not the other. Nothing
    is inferred from dates or times: the table itself records what the last build picked.
    A change of the configuration or of the model's SQL (a fingerprint kept in a small state
    table) rebuilds every id. A change of the staging macros needs a --full-refresh, as for
    the bases.

    Engines: DuckDB and PostgreSQL (plain SQL: except all, delete, create table). Spark runs
    only full refreshes (tests/spark): the spark__ variants do nothing. -#}

{#- The model's config: incremental by appending the rebuilt ids after the pre-hooks have
    found the changed ids and deleted their rows. `current_rows` is a Jinja expression (as
    text) giving the select of the pick of now: `id_column` and the row key columns. -#}
{% macro changed_records_config(id_column, current_rows) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=[
            "{{ create_build_state() }}",
            "{{ drop_changed_records() }}",
            "{{ find_changed_records('" ~ id_column ~ "', " ~ current_rows ~ ") }}",
            "{{ forget_changed_records('" ~ id_column ~ "') }}",
        ],
        post_hook=[
            "{{ create_build_state() }}",
            "{{ forget_build_fingerprint() }}",
            "{{ remember_build_fingerprint() }}",
        ],
    ) }}
{%- endmacro %}

{#- The table of the record ids an incremental run rebuilds (kept until the next run: it
    says what the last run rebuilt). -#}
{% macro changed_records_relation() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__changed')) }}
{%- endmacro %}

{#- The model's state: one row, the fingerprint of the configuration and code it was last
    built with (one table per model: models built at the same time never share one). -#}
{% macro build_state_relation() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__state')) }}
{%- endmacro %}

{#- What the rows of the model depend on besides its input rows: its own SQL and the
    configured values staging reads. Not the build date. -#}
{% macro build_fingerprint() -%}
    {%- set configured = [
        var('timezone'), var('currency'), var('currency_rates'), var('stages'),
    ] -%}
    {{ return(local_md5(model.raw_code ~ (configured | tojson))) }}
{%- endmacro %}

{#- True when `column` of `alias` is one of the changed ids (NULL ids included: a NULL
    lead_id is a partition of its own in the window functions). -#}
{% macro is_changed_record(alias, id_column) -%}
    (
        {{ alias }}.{{ id_column }} in (
            select changed.{{ id_column }} from {{ changed_records_relation() }} as changed
        )
        or (
            {{ alias }}.{{ id_column }} is null
            and exists (
                select 1 from {{ changed_records_relation() }} as changed
                where changed.{{ id_column }} is null
            )
        )
    )
{%- endmacro %}

{#- Pre-hook: the ids whose rows differ, as a multiset of row keys, between the clean rows
    of this run and the rows the table holds; every id when the fingerprint differs. -#}
{% macro find_changed_records(id_column, current_rows) -%}
    {{ return(adapter.dispatch('find_changed_records')(id_column, current_rows)) }}
{%- endmacro %}

{% macro default__find_changed_records(id_column, current_rows) -%}
    {%- if is_incremental() -%}
        {%- set row_key = id_column ~ ', _row_id, _load_seq, _loaded_at' -%}
        create table {{ changed_records_relation() }} as
        with rows_now as (
            select {{ row_key }} from ({{ current_rows }}) as current_rows
        ),

        rows_held as (
            select {{ row_key }} from {{ this }}
        ),

        same_build as (
            select count(*) as builds
            from {{ build_state_relation() }}
            where fingerprint = '{{ build_fingerprint() }}'
        ),

        differing_rows as (
            (select * from rows_now except all select * from rows_held)
            union all
            (select * from rows_held except all select * from rows_now)
            union all
            select * from rows_now where (select builds from same_build) = 0
            union all
            select * from rows_held where (select builds from same_build) = 0
        )

        select distinct {{ id_column }} from differing_rows
    {%- else -%}
        select 1 as nothing_changed
    {%- endif -%}
{%- endmacro %}

{% macro spark__find_changed_records(id_column, current_rows) -%}
    select 1 as nothing_changed
{%- endmacro %}

{#- Pre-hook: the previous run's changed ids go (a full build keeps none). -#}
{% macro drop_changed_records() -%}
    {%- if target.type == 'spark' -%}
        select 1 as nothing_to_drop
    {%- else -%}
        drop table if exists {{ changed_records_relation() }}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook: delete the rows of the changed ids; the model's select adds them again. -#}
{% macro forget_changed_records(id_column) -%}
    {%- if is_incremental() and target.type != 'spark' -%}
        delete from {{ this }} as held
        where {{ is_changed_record('held', id_column) }}
    {%- else -%}
        select 1 as nothing_to_forget
    {%- endif -%}
{%- endmacro %}

{#- The filter the model's select applies to the clean rows: on an incremental run only
    the changed ids (all copies of each, so window functions over an id see them all). -#}
{% macro only_changed_records(alias, id_column) -%}
    {#- a dbt unit test compiles the model without a relation (this is none): all rows -#}
    {%- if this is not none and is_incremental() -%}
        {{ is_changed_record(alias, id_column) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Pre- and post-hooks, on every run (a full build too, so the next daily run can be
    incremental): the state table exists, and holds the fingerprint this run built with. -#}
{% macro create_build_state() -%}
    {{ return(adapter.dispatch('create_build_state')()) }}
{%- endmacro %}

{% macro default__create_build_state() -%}
    create table if not exists {{ build_state_relation() }} (fingerprint {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__create_build_state() -%}
    select 1 as no_build_state
{%- endmacro %}

{% macro forget_build_fingerprint() -%}
    {%- if target.type == 'spark' -%}
        select 1 as no_build_state
    {%- else -%}
        delete from {{ build_state_relation() }}
    {%- endif -%}
{%- endmacro %}

{% macro remember_build_fingerprint() -%}
    {%- if target.type == 'spark' -%}
        select 1 as no_build_state
    {%- else -%}
        insert into {{ build_state_relation() }} (fingerprint) values ('{{ build_fingerprint() }}')
    {%- endif -%}
{%- endmacro %}
