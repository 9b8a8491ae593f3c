{#- Dates, months, weeks and day counts shared by both marts (marts.md: months are local
    calendar months, `month` is the first day of the month; weeks are ISO weeks starting on
    Monday). Timestamps in the marts are local wall-clock times already (sources.md), so a
    plain truncation gives the local month / week. -#}

{#- First day of the `period` ('month' or 'week': Monday of the ISO week) of a date or
    timestamp, as a date. -#}
{% macro period_of(period, expression) -%}
    cast({{ dbt.date_trunc(period, expression) }} as date)
{%- endmacro %}

{#- First day of the month of a date or timestamp, as a date. -#}
{% macro month_of(expression) -%}
    {{ period_of('month', expression) }}
{%- endmacro %}

{#- Monday of the ISO week of a date or timestamp, as a date. -#}
{% macro week_of(expression) -%}
    {{ period_of('week', expression) }}
{%- endmacro %}

{#- The first day of D's month. -#}
{% macro as_of_month() -%}
    {{ month_of(as_of_date()) }}
{%- endmacro %}

{#- Whole days from the local date of `start_expression` to the local date of `end_expression`. -#}
{% macro days_between(start_expression, end_expression) -%}
    {{ dbt.datediff('cast(' ~ start_expression ~ ' as date)', 'cast(' ~ end_expression ~ ' as date)', 'day') }}
{%- endmacro %}

{#- Whole local days from a timestamp's local date to the build date D (D - date). -#}
{% macro days_before_d(timestamp_column) -%}
    {{ days_between(timestamp_column, as_of_date()) }}
{%- endmacro %}

{#- True when a timestamp's local date lies in the `days` days ending D (D-days+1 .. D). -#}
{% macro in_days_ending_d(timestamp_column, days) -%}
    ({{ timestamp_column }} < {{ as_of_end() }}
     and {{ days_before_d(timestamp_column) }} < {{ days }})
{%- endmacro %}

{#- One row per `period` (month or week; column `period_start`, a date) from `start_period`
    to `end_period` (date expressions already truncated to the period, inclusive); no rows
    when `start_period` is NULL. dbt.generate_series is portable; 5,000 periods (four
    centuries of months, a century of weeks) bound it without a query at compile time, so
    it works in unit tests too. A select usable as a CTE body. -#}
{% macro period_spine(period, start_period, end_period) -%}
    {%- set step = 'week' if period == 'week' else 'month' -%}
    {%- set count = '7 * (period_offsets.generated_number - 1)' if period == 'week'
        else 'period_offsets.generated_number - 1' -%}
    {%- set unit = 'day' if period == 'week' else 'month' -%}
    select
        cast({{ dbt.dateadd(unit, count, start_period) }} as date) as period_start
    from ({{ dbt.generate_series(5000) }}) as period_offsets
    where cast({{ dbt.dateadd(unit, count, start_period) }} as date) <= {{ end_period }}
{%- endmacro %}

{#- A local wall-clock timestamp (in var timezone) of a UTC timestamp without offset, e.g.
    the loader's _loaded_at or the quality gate's quarantine times. -#}
{% macro utc_to_local(timestamp_column) -%}
    {{ return(adapter.dispatch('utc_to_local')(timestamp_column)) }}
{%- endmacro %}

{% macro default__utc_to_local(timestamp_column) -%}
    cast(({{ timestamp_column }} at time zone 'UTC') at time zone '{{ var("timezone") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Spark has no `at time zone`. convert_timezone (Spark 3.4+) gives a timestamp without
    time zone, as on DuckDB and PostgreSQL; from_utc_timestamp would give Spark's TIMESTAMP
    (local time zone), which readers see shifted by their session's time zone. -#}
{% macro spark__utc_to_local(timestamp_column) -%}
    convert_timezone('UTC', '{{ var("timezone") }}', cast({{ timestamp_column }} as timestamp_ntz))
{%- endmacro %}
