{#- A model's schema is its folder's name as written (staging, intermediate,
    opportunity_funnel, customer_lifecycle), not dbt's default "<target>_<custom>",
    so BI tools see the schema names of the contract. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
