{#- Models kept record by record: rebuild only the records whose picked rows changed
    (docs/operations.md, "Daily builds are incremental"). Used by the staging models
    (stg_crm__*) and by the intermediate models whose rows per id are a function of a pick
    (int_leads__as_of).

    Each staging model holds rows picked from the clean landed rows (macros/staging_rows.sql)
    and keyed by a record id: every clean version of a lead (stg_crm__leads), the latest
    clean copy known at the end of D of a follow-up or service record. The rows of one id
    are a function of three things only: WHICH landed rows the model picks for that id
    (their row keys), those rows' own values (fixed for a row key: a base never changes a
    row it holds), and the model's SQL with the configuration it reads (currency, rates,
    stage probabilities; time zone, which also acts on the pick). The build date D acts
    only through the pick: which rows are clean as of D, which copies are known by its end.
    The same holds one step further for int_leads__as_of: its row of a lead is a function
    of the one version it picks as of D (a row of stg_crm__leads, identified by its row
    key and its updated_at, the only staging value that is not fixed for a landed row).

    So an incremental run computes the pick of now for every id (`current_rows`: id and row
    key, cheap, nothing written) and compares it, row key by row key, with the rows the
    table holds; it deletes and rebuilds exactly the ids on either side of a difference:
    rows landed, rows whose load left raw, rows quarantined, released or held
    back by another D, loads newly checked, copies known by one D and not the other. Nothing
    is inferred from dates or times: the table itself records what the last build picked.
    A change of the configuration, of the model's SQL or of any file of the project (the
    var `project_code`; a fingerprint kept in a small state table) drops the table before
    the run (on-run-start: forget_staging_of_another_build), so dbt builds it from scratch:
    a configured rate may change a column's type, which an incremental insert could not
    take, and a changed macro may change any row.

    Engines: DuckDB and PostgreSQL (plain SQL: full outer join, delete, create table).
    Spark runs only full refreshes (tests/spark): the spark__ variants do nothing. -#}

{#- The model's config: incremental by appending the rebuilt ids after the pre-hooks have
    found the changed ids and deleted their rows. `current_rows` is a Jinja expression (as
    text) giving the select of the pick of now: `id_column` and the row key columns.
    `row_key` names the columns that identify a picked row (the table holds them too):
    `_load_seq, _loaded_at, _source_row` for a landed row (default_row_key); a model reading staging adds the
    staging values that are not fixed for a landed row (updated_at of a copy without one is
    the time it is known from, which depends on the record's other copies). -#}
{% macro changed_records_config(id_column, current_rows, row_key=none) -%}
    {%- set row_key = row_key or default_row_key() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=[
            "{{ create_build_state() }}",
            "{{ drop_changed_records() }}",
            "{{ find_changed_records('" ~ id_column ~ "', " ~ current_rows ~ ", "
                ~ (row_key | tojson) ~ ") }}",
            "{{ forget_changed_records('" ~ id_column ~ "') }}",
        ],
        post_hook=[
            "{{ create_build_state() }}",
            "{{ forget_build_fingerprint() }}",
            "{{ remember_build_fingerprint() }}",
        ],
    ) }}
{%- endmacro %}

{#- A landed row: one load of a file at one time, one row of it. The same row as
    `_row_id, _load_seq, _loaded_at` (a load is one file, and _row_id is the file's hash
    and the row number, _source_row), in three fixed-width columns: the full outer join of
    find_changed_records hashes and compares numbers instead of text (about 1.3 CPU s less
    for the 5 M follow-ups at 10^6 leads, docs/benchmarks.md). -#}
{% macro default_row_key() -%}
    {{ return(['_load_seq', '_loaded_at', '_source_row']) }}
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

{#- What the rows of the model depend on besides its input rows: its own SQL, the macros
    it expands (through the project's code fingerprint, `project_code`, which the dbt step
    and `crm-pipeline dbt` pass: any change of the project's files rebuilds staging once)
    and the configured values staging reads. Not the build date. -#}
{% macro build_fingerprint(node=none) -%}
    {%- set configured = [
        var('timezone'), var('currency'), var('currency_rates'), var('stages'),
        var('project_code', ''),
    ] -%}
    {{ return(local_md5((node or model).raw_code ~ (configured | tojson))) }}
{%- endmacro %}

{#- on-run-start (dbt_project.yml), for `dbt run` and `dbt build`: drop each selected
    model kept record by record whose state does not hold this run's fingerprint (another
    configuration or model SQL, or a table built before it kept a state), through the
    adapter so that dbt's relation cache knows: the model is then built from scratch. -#}
{% macro forget_staging_of_another_build() -%}
    {{ return(adapter.dispatch('forget_staging_of_another_build')()) }}
{%- endmacro %}

{% macro default__forget_staging_of_another_build() -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model'
            and node.unique_id in selected_resources
            and 'changed_records_config' in node.raw_code -%}
            {%- set table = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- set state = adapter.get_relation(
                node.database, node.schema, node.alias ~ '__state') -%}
            {%- set kept = [] -%}
            {%- if table is not none and state is not none -%}
                {%- set found = run_query(
                    "select count(*) from " ~ state ~ " where fingerprint = '"
                    ~ build_fingerprint(node) ~ "'") -%}
                {%- do kept.append(found.columns[0].values()[0] > 0) -%}
            {%- endif -%}
            {%- if table is not none and not (kept and kept[0]) -%}
                {%- do log(node.alias ~ " was built with another configuration"
                    ~ " or model; it is built from scratch", info=true) -%}
                {%- do adapter.drop_relation(table) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as staging_checked
{%- endmacro %}

{% macro spark__forget_staging_of_another_build() -%}
    select 1 as staging_checked
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

{#- Pre-hook: the ids of the rows picked now and not held, or held and not picked now
    (matched on the row key, which identifies a landed row in the bases too: one load of a
    file at one time, one row of it; the row's id is one of its fixed values). A full
    outer join: one hash join, where comparing two multisets (except all both ways) cost
    four times as much at 10^5 leads (docs/benchmarks.md). The first column of the row key
    is never NULL in a picked row (a landed row's _load_seq, or _row_id): NULL there marks
    the side of the join that has no match. -#}
{% macro find_changed_records(id_column, current_rows, row_key=none) -%}
    {{ return(adapter.dispatch('find_changed_records')(
        id_column, current_rows, row_key or default_row_key())) }}
{%- endmacro %}

{% macro default__find_changed_records(id_column, current_rows, row_key) -%}
    {%- if is_incremental() -%}
        {%- set key_columns = id_column ~ ', ' ~ (row_key | join(', ')) -%}
        create table {{ changed_records_relation() }} as
        with rows_now as (
            select {{ key_columns }} from ({{ current_rows }}) as current_rows
        ),

        rows_held as (
            select {{ key_columns }} from {{ this }}
        ),

        differing_rows as (
            select coalesce(rows_now.{{ id_column }}, rows_held.{{ id_column }}) as {{ id_column }}
            from rows_now
            full outer join rows_held
                on {% for column in row_key -%}
                {{ 'and ' if not loop.first }}rows_now.{{ column }} = rows_held.{{ column }}
                {% endfor -%}
            where rows_now.{{ row_key[0] }} is null or rows_held.{{ row_key[0] }} is null
        )

        select distinct {{ id_column }} from differing_rows
    {%- else -%}
        select 1 as nothing_changed
    {%- endif -%}
{%- endmacro %}

{% macro spark__find_changed_records(id_column, current_rows, row_key) -%}
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
