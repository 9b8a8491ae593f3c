{#- Generic tests of the opportunity-funnel mart (dbt hub packages are not available). -#}

{#- No two rows share the values of `combination_of_columns`; NULLs compare equal, so a
    grain with a NULL member (forecast's month of deals without a close date) is covered. -#}
{% test funnel_unique_combination(model, combination_of_columns) %}
    select
        {%- for column in combination_of_columns %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %},
        count(*) as duplicate_rows
    from {{ model }}
    group by
        {%- for column in combination_of_columns %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    having count(*) > 1
{% endtest %}

{#- Rows where a boolean SQL expression does not hold (NULL counts as not holding unless
    the expression handles it). -#}
{% test funnel_expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
