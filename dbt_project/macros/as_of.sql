{#- The business date D of the build (var as_of_date, ISO text) and the end of D.
    Every metric is computed as of D: rows and versions count when their time is before
    as_of_end(), the first instant of D + 1 day in local time. -#}
{% macro as_of_date() -%}
    cast('{{ var("as_of_date") }}' as date)
{%- endmacro %}

{% macro as_of_end() -%}
    {%- set next_day = modules.datetime.date.fromisoformat(var("as_of_date")) + modules.datetime.timedelta(days=1) -%}
    cast('{{ next_day.isoformat() }} 00:00:00' as timestamp)
{%- endmacro %}
