{#- Mask contact data typed into a free-text column before it reaches a mart, the same
    way quality/masking.py does for logs and alerts: mobile numbers as 138****5678,
    landlines with an area code (021-62345678) as ****5678, e-mail addresses as z***@example.com.
    regexp_replace with a 'g' flag and \1 back-references works on DuckDB and PostgreSQL. -#}
{% macro mask_contact_data(column) -%}
    regexp_replace(
        regexp_replace(
            regexp_replace(
                {{ column }},
                '([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+[.][A-Za-z]{2,})',
                '\1***@\2',
                'g'
            ),
            '(1[3-9][0-9])[0-9]{4}([0-9]{4})',
            '\1****\2',
            'g'
        ),
        '0[0-9]{2,3}[- ][0-9]{3,4}([0-9]{4})',
        '****\1',
        'g'
    )
{%- endmacro %}
