{#- Generic tests shared by every layer (dbt hub packages are not available). -#}

{#- No two rows share the values of `columns`: the combination is the model's grain. NULLs
    group together, so a grain with a NULL member (forecast's month of deals without a close
    date) is covered too. -#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as rows_with_this_key
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Rows where a boolean SQL expression does not hold (NULL counts as not holding unless
    the expression handles it). -#}
{% test funnel_expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}

{#- The model has exactly `rows` rows (e.g. a one-row summary). -#}
{% test lifecycle_row_count(model, rows) %}
    select row_count
    from (select count(*) as row_count from {{ model }}) as counted
    where row_count <> {{ rows }}
{% endtest %}
