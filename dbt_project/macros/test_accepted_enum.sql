{#- Values of a column must be keys of a configured enumeration (var enum_keys), so the
    test follows the configuration instead of a list written into yml. NULLs pass. -#}
{% test accepted_enum(model, column_name, enum) %}
    {%- set keys = var("enum_keys")[enum] -%}
    select {{ column_name }} as value
    from {{ model }}
    where {{ column_name }} is not null
      and {{ column_name }} not in (
        {%- for key in keys %}'{{ key }}'{{ "," if not loop.last }}{% endfor -%}
      )
{% endtest %}
