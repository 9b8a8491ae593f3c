{#- The latest row of each group: for every value of `group_by` (a column or a list of
    columns), the `columns` of its row that is greatest on `order_by` (compared in turn,
    each descending, NULL lowest), as the group's columns plus `columns`. Used where a
    model wants one row per lead or account: the latest follow-up, deal, lead version,
    service record or entry into a stage.

    `order_by` holds expressions and must tell the rows of a group apart (end it with an
    id): the pick is then the same on every engine. Pass a text column through
    text_sort_key, so that it compares in code-point order on every engine.

    `aggregates` ({name: aggregate expression over the group's rows}) adds columns computed
    over the whole group in the same pass — a count, a sum, the first date — where a model
    would otherwise group the relation a second time and join the two. -#}
{% macro latest_row_per_group(relation, group_by, order_by, columns, aggregates={}) -%}
    {%- set group_columns = [group_by] if group_by is string else group_by -%}
    {{ return(adapter.dispatch('latest_row_per_group')(
        relation, group_columns | join(', '), order_by, columns, aggregates)) }}
{%- endmacro %}

{#- A window: number the rows of each group, latest first, keep the first; the aggregates
    as window aggregates over the group. -#}
{% macro default__latest_row_per_group(relation, group_by, order_by, columns, aggregates={}) -%}
    select
        {{ group_by }},
        {{ columns | join(', ') }}
        {%- for name in aggregates %},
        {{ name }}
        {%- endfor %}
    from (
        select
            {{ group_by }},
            {{ columns | join(', ') }},
            {%- for name, expression in aggregates.items() %}
            {{ expression }} over (partition by {{ group_by }}) as {{ name }},
            {%- endfor %}
            row_number() over (
                partition by {{ group_by }}
                order by
                {%- for column in order_by %}
                    {{ column }} desc nulls last{{ ',' if not loop.last }}
                {%- endfor %}
            ) as latest_first
        from {{ relation }}
    ) as rows_latest_first
    where latest_first = 1
{%- endmacro %}

{#- DuckDB: one hash aggregate, arg_max of the columns by the order columns taken as a
    struct (compared field by field), where the window sorts every row of the table: at
    10^6 leads the latest follow-up of each lead takes 0.5 s instead of 3 s
    (docs/benchmarks.md). Inside a struct DuckDB orders NULL above every value; each order
    column is therefore preceded by whether it is set, so that NULL ranks lowest, as
    `desc nulls last` does in the window. -#}
{% macro duckdb__latest_row_per_group(relation, group_by, order_by, columns, aggregates={}) -%}
    select
        {{ group_by }},
        {%- for column in columns %}
        latest.{{ column }} as {{ column }}{{ ',' if not loop.last or aggregates }}
        {%- endfor %}
        {%- for name in aggregates %}
        {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ group_by }},
            {%- for name, expression in aggregates.items() %}
            {{ expression }} as {{ name }},
            {%- endfor %}
            arg_max(
                { {%- for column in columns -%}
                    '{{ column }}': {{ column }}{{ ', ' if not loop.last }}
                {%- endfor -%} },
                { {%- for column in order_by -%}
                    'has_{{ loop.index }}': {{ column }} is not null,
                    'value_{{ loop.index }}': {{ column }}{{ ', ' if not loop.last }}
                {%- endfor -%} }
            ) as latest
        from {{ relation }}
        group by {{ group_by }}
    ) as latest_of_each
{%- endmacro %}
