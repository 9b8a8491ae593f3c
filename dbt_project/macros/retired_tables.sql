{#- on-run-start (dbt_project.yml), for `dbt run` and `dbt build`: drop the tables of models
    that are no longer built as tables. dbt never drops a relation it stopped building, so a
    warehouse built before would keep them, unread, taking space: at 10^6 leads
    `int_funnel__stage_events`, ephemeral since the fifth performance round, held 8.3 M
    rows (docs/operations.md). Only tables: a view or a model built again under the same
    name is left alone. -#}
{% macro forget_retired_tables() -%}
    {{ return(adapter.dispatch('forget_retired_tables')()) }}
{%- endmacro %}

{% macro retired_tables() -%}
    {{ return([('intermediate', 'int_funnel__stage_events')]) }}
{%- endmacro %}

{% macro default__forget_retired_tables() -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- for schema, identifier in retired_tables() -%}
            {%- set relation = adapter.get_relation(target.database, schema, identifier) -%}
            {%- if relation is not none and relation.type == 'table' -%}
                {%- do log("dropping " ~ relation ~ ": no model builds it any more", info=true) -%}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as retired_tables_checked
{%- endmacro %}

{#- Spark runs full refreshes into a fresh schema (tests/spark): nothing to forget. -#}
{% macro spark__forget_retired_tables() -%}
    select 1 as retired_tables_checked
{%- endmacro %}
