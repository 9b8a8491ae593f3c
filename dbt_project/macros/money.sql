{#- Money in the marts has one type: DECIMAL with 2 decimals (the currency's cents).
    Sums of it stay at scale 2 (DuckDB widens the precision to 38); amounts derived by a
    multiplication or a division (weighted amounts, averages per customer or per rep) are
    rounded to cents here, once, so a BI tool never mixes DOUBLE and DECIMAL money.
    decimal(18, 2) is standard SQL: DuckDB, PostgreSQL, Spark and Trino read it alike. -#}
{% macro as_money(expression) -%}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}
