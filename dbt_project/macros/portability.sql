{#- Portability helpers: where engines differ in a type or a function, the models call one
    of these macros and each adapter gets its variant through adapter.dispatch, so the same
    project builds on DuckDB (default) and PostgreSQL (operations.md, "Scaling out";
    docs/scaling.md). Each difference has a comment saying why. -#}

{#- The 8-byte floating-point type. dbt.type_float() is not it: on DuckDB `float` is a
    4-byte REAL. `double precision` is standard SQL (DuckDB, PostgreSQL, Snowflake,
    Redshift); Spark and Trino spell it `double`. -#}
{% macro double_type() -%}
    {{ return(adapter.dispatch('double_type')()) }}
{%- endmacro %}

{% macro default__double_type() -%}
    double precision
{%- endmacro %}

{% macro spark__double_type() -%}
    double
{%- endmacro %}

{% macro trino__double_type() -%}
    double
{%- endmacro %}

{#- Timestamps without time zone on Spark. The marts hold local wall-clock times (sources.md):
    TIMESTAMP on DuckDB, `timestamp` (without time zone) on PostgreSQL. Spark's `timestamp`
    is a TIMESTAMP WITH LOCAL TIME ZONE, which a reader whose session has another time zone
    sees shifted; `timestamp_ntz` (Spark 3.4+) is the counterpart. These override dbt-spark's
    variants of dbt.type_timestamp() and dbt.dateadd() (the root project's `spark__` macro
    wins a dispatch). Not spark.sql.timestampType=TIMESTAMP_NTZ for the session: dbt-spark's
    own dateadd goes through to_timestamp(unix seconds), which that setting makes NULL. -#}
{% macro spark__type_timestamp() -%}
    timestamp_ntz
{%- endmacro %}

{#- dateadd on Spark with timestampadd (Spark 3.3+): the same calendar arithmetic as
    DuckDB's `+ interval` (a month from 31 January is 28 February), and a timestamp_ntz
    stays one. dbt-spark's version returns a local-time-zone timestamp. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, cast({{ from_date_or_timestamp }} as timestamp_ntz))
{%- endmacro %}

{#- An expression as an 8-byte float. Ratios and averages are computed in it so that every
    engine returns the same type and value: `1.0 * x / y` is a DOUBLE on DuckDB but an
    arbitrary-precision numeric with 20 decimals on PostgreSQL. -#}
{% macro as_double(expression) -%}
    cast({{ expression }} as {{ double_type() }})
{%- endmacro %}

{#- numerator ÷ denominator as an 8-byte float; NULL when the denominator is 0 or NULL
    (marts.md: a ratio whose denominator is 0 is NULL, never 0). -#}
{% macro ratio_or_null(numerator, denominator) -%}
    ({{ as_double(numerator) }} / nullif({{ denominator }}, 0))
{%- endmacro %}

{#- A text column as a sort key in code-point order (byte order of UTF-8), the order DuckDB
    always uses. Ties broken by an id or account_key (tiers, latest copy, latest deal) must
    not depend on the database's collation: on a PostgreSQL database created with a zh_CN
    or en_US collation, '阿里' sorts before '北京' and 'abc' before 'Abd', which moved
    customers between tiers. PostgreSQL's "C" collation is code-point order. -#}
{% macro text_sort_key(column) -%}
    {{ return(adapter.dispatch('text_sort_key')(column)) }}
{%- endmacro %}

{% macro default__text_sort_key(column) -%}
    {{ column }}
{%- endmacro %}

{% macro postgres__text_sort_key(column) -%}
    {{ column }} collate "C"
{%- endmacro %}

{#- The `fraction` percentile of an expression, interpolated (the median of an even count is
    the mean of the two middle values); an ordered-set aggregate that PostgreSQL, DuckDB and
    Trino-compatible engines accept. -#}
{% macro percentile(fraction, expression) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro median(expression) -%}
    {{ percentile(0.5, expression) }}
{%- endmacro %}

{#- The sum of a count column, as a 64-bit integer on every engine. Summing a BIGINT gives
    a 128-bit HUGEINT on DuckDB, an arbitrary-precision `numeric` on PostgreSQL and a
    BIGINT on Spark: the same whole number in three types, and BI drivers read HUGEINT
    poorly. Counts of CRM rows fit in 64 bits by far. -#}
{% macro sum_of_counts(expression) -%}
    cast(sum({{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- How an incremental snapshot table replaces the rows of one build date (re-running a date
    replaces its rows, other dates stay). DuckDB and PostgreSQL: delete+insert on the date.
    dbt-spark has no delete+insert, and merge needs Delta/Iceberg/Hudi tables; on plain
    Parquet tables the same effect is insert_overwrite of the date's partition, so Spark
    also partitions these tables by the date (see replace_by_date_partition). -#}
{% macro replace_by_date_strategy() -%}
    {{ return(adapter.dispatch('replace_by_date_strategy')()) }}
{%- endmacro %}

{% macro default__replace_by_date_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__replace_by_date_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro replace_by_date_partition(date_column) -%}
    {{ return(adapter.dispatch('replace_by_date_partition')(date_column)) }}
{%- endmacro %}

{% macro default__replace_by_date_partition(date_column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__replace_by_date_partition(date_column) -%}
    {{ return([date_column]) }}
{%- endmacro %}
