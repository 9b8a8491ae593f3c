{#- The business date D of the build (var as_of_date, ISO text) and the end of D.
    Every metric is computed as of D: rows and versions count when their time is before
    as_of_end(), the first instant of D + 1 day in local time.

    D has no default: a standalone `dbt run` without it would silently stamp a stale date
    on today's data. `crm-pipeline dbt --as-of D -- ...` passes it with the configured
    settings; a bare dbt run must pass `--vars '{as_of_date: YYYY-MM-DD}'`. While dbt only
    parses (execute is false) a placeholder date keeps parsing possible.

    The build's dbt step parses the project WITHOUT as_of_date (orchestration/dbt_worker.py:
    one parse serves every date) and compiles each model with it. So the date may only
    shape compiled SQL, never a config, a ref or a test's arguments. -#}
{% macro as_of_date_text() -%}
    {%- set value = var("as_of_date", none) -%}
    {%- if value is none or value == "" -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "var as_of_date is not set: run `crm-pipeline dbt --as-of YYYY-MM-DD -- "
                ~ "<dbt args>` (it passes the configured settings as vars), or pass "
                ~ "--vars '{as_of_date: YYYY-MM-DD}' to dbt; there is no default date") }}
        {%- endif -%}
        {{ return("1970-01-01") }}
    {%- endif -%}
    {{ return(value | string) }}
{%- endmacro %}

{% macro as_of_date() -%}
    cast('{{ as_of_date_text() }}' as date)
{%- endmacro %}

{% macro as_of_end() -%}
    {%- set next_day = modules.datetime.date.fromisoformat(as_of_date_text()) + modules.datetime.timedelta(days=1) -%}
    cast('{{ next_day.isoformat() }} 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}
