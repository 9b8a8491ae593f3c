{#- Portable helpers of the customer-lifecycle mart (客户关系管理). Every configurable number
    comes from the dbt vars (crm_pipeline/config.py: Settings.dbt_vars); the SQL they expand
    to uses dbt's cross-database macros only, so the mart builds on DuckDB and PostgreSQL. -#}

{#- Hours from one timestamp to another, as a decimal (seconds / 3600). -#}
{% macro lifecycle_hours_between(start_timestamp, end_timestamp) -%}
    ({{ dbt.datediff(start_timestamp, end_timestamp, 'second') }} / 3600.0)
{%- endmacro %}

{#- Whole local days from a timestamp's local date to the build date D (D - date). -#}
{% macro lifecycle_days_before_d(timestamp_column) -%}
    {{ dbt.datediff('cast(' ~ timestamp_column ~ ' as date)', as_of_date(), 'day') }}
{%- endmacro %}

{#- The first day of the month of a date or timestamp, as a date. -#}
{% macro lifecycle_month(column) -%}
    cast({{ dbt.date_trunc('month', column) }} as date)
{%- endmacro %}

{#- The first day of D's month. -#}
{% macro lifecycle_as_of_month() -%}
    {{ lifecycle_month(as_of_date()) }}
{%- endmacro %}

{#- True when a timestamp's local date lies in the `days` days ending D (D-days+1 .. D). -#}
{% macro lifecycle_in_days_ending_d(timestamp_column, days) -%}
    ({{ timestamp_column }} < {{ as_of_end() }}
     and {{ lifecycle_days_before_d(timestamp_column) }} < {{ days }})
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

{#- Integers 0 .. 9999 as column `n` (four cross-joined digit sets), for month spines
    without recursive CTEs or generate_series, which not every engine has. -#}
{% macro lifecycle_integers() -%}
    {%- set digits -%}
        select 0 as d union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6 union all select 7
        union all select 8 union all select 9
    {%- endset -%}
    select ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d as n
    from ({{ digits }}) as ones
    cross join ({{ digits }}) as tens
    cross join ({{ digits }}) as hundreds
    cross join ({{ digits }}) as thousands
{%- endmacro %}

{#- One row per month (column `month`, first-day date) from the month of the earliest
    value of `date_column` in `relation_sql` through D's month; no rows when it is empty. -#}
{% macro lifecycle_month_spine(relation_sql, date_column) -%}
    select
        cast({{ dbt.dateadd('month', 'integers.n', 'bounds.first_month') }} as date) as month
    from (
        select {{ lifecycle_month('min(' ~ date_column ~ ')') }} as first_month
        from ({{ relation_sql }}) as spine_source
    ) as bounds
    cross join ({{ lifecycle_integers() }}) as integers
    where bounds.first_month is not null
      and integers.n <= {{ dbt.datediff('bounds.first_month', lifecycle_as_of_month(), 'month') }}
{%- endmacro %}
