{#- The select list of a model that passes an upstream model's columns through: every
    column of `relation` in its order, except those named in `except`, each as itself or,
    when named in `replace`, as that expression. So a column list is written once, in the
    model that makes it. Introspective (adapter.get_columns_in_relation): the upstream
    relation must be built, which a dbt run guarantees for a ref; a unit test of a model
    using this macro needs its upstream model built first. While dbt only parses, it
    returns the upstream's `*`. -#}
{% macro columns_except(relation, except=[], replace={}) -%}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set selected = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- set name = column.name | lower -%}
        {%- if name not in except -%}
            {%- if name in replace -%}
                {%- do selected.append(replace[name] ~ ' as ' ~ name) -%}
            {%- else -%}
                {%- do selected.append(name) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not selected -%}
        {{ exceptions.raise_compiler_error("columns_except: no columns found in " ~ relation) }}
    {%- endif -%}
    {{ return(selected | join(',\n    ')) }}
{%- endmacro %}
