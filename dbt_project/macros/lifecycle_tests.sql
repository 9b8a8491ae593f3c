{#- Generic tests of the customer-lifecycle mart (dbt hub packages are not available). -#}

{#- The combination of `columns` identifies a row: no two rows share it. NULLs compare as
    values here (a NULL month/priority would still be a duplicate). -#}
{% test lifecycle_unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as rows_with_this_key
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- The model has exactly `rows` rows (e.g. a one-row summary). -#}
{% test lifecycle_row_count(model, rows) %}
    select row_count
    from (select count(*) as row_count from {{ model }}) as counted
    where row_count <> {{ rows }}
{% endtest %}
