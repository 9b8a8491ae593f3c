{#- Lookups over configuration passed as dbt vars (crm_pipeline/config.py: Settings.dbt_vars).
    They expand to portable CASE expressions, so no configurable number is written in SQL. -#}

{#- A stage attribute (probability, stall_days, order, label_zh) for a stage key column. -#}
{% macro stage_attribute(stage_column, attribute) -%}
    case {{ stage_column }}
    {%- for stage in var("stages") %}
        {%- set value = stage[attribute] %}
        when '{{ stage.key }}' then {% if value is none %}null{% elif value is string %}'{{ value }}'{% else %}{{ value }}{% endif %}
    {%- endfor %}
    end
{%- endmacro %}

{#- Convert an amount in `currency_column` to the configured currency. Amounts already in
    it (or with no currency) pass unchanged; an unknown currency gives NULL and is flagged by
    the quality checks. -#}
{% macro to_base_currency(amount_column, currency_column) -%}
    case
        when {{ currency_column }} is null or {{ currency_column }} = '{{ var("currency") }}'
            then {{ amount_column }}
    {%- for code, rate in var("currency_rates").items() %}
        when {{ currency_column }} = '{{ code }}' then {{ amount_column }} * {{ rate }}
    {%- endfor %}
    end
{%- endmacro %}
