{#- Portable helpers of the customer-lifecycle mart (客户关系管理). Every configurable number
    comes from the dbt vars (crm_pipeline/config.py: Settings.dbt_vars); the SQL they expand
    to uses dbt's cross-database macros only, so the mart builds on DuckDB and PostgreSQL. -#}

{#- Hours from one timestamp to another, as an 8-byte float (seconds / 3600). The seconds
    are made a double first: bigint / 3600.0 is a DOUBLE on DuckDB but a decimal(27,6) on
    Spark. -#}
{% macro lifecycle_hours_between(start_timestamp, end_timestamp) -%}
    ({{ as_double(dbt.datediff(start_timestamp, end_timestamp, 'second')) }} / 3600)
{%- endmacro %}

{#- A configured threshold (var thresholds.<name>); fails at compile time when missing. -#}
{% macro lifecycle_threshold(name) -%}
    {%- set thresholds = var("thresholds") -%}
    {%- if name not in thresholds -%}
        {{ exceptions.raise_compiler_error("dbt var thresholds." ~ name ~ " is not set") }}
    {%- endif -%}
    {{ thresholds[name] }}
{%- endmacro %}

{#- The SLA limit in hours (`response_hours` or `resolution_hours`) for a priority column,
    from var sla; a priority without a configured limit gives NULL (never a breach). -#}
{% macro lifecycle_sla_hours(priority_column, limit) -%}
    case {{ priority_column }}
    {%- for priority, limits in var("sla").items() %}
        when '{{ priority }}' then {{ limits[limit] }}
    {%- endfor %}
    end
{%- endmacro %}
