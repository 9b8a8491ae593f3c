{#- The order of a lead's versions, latest first (sources.md): the greatest updated_at,
    ties to the later file, then the later row. -#}
{% macro lead_version_order() -%}
    updated_at desc, _load_seq desc, _source_row desc
{%- endmacro %}

{#- The pick of int_leads__as_of (macros/changed_records.sql): for each lead, the row key
    and updated_at of its version as of D — the greatest updated_at before the end of D,
    ties to the later file, then the later row — ranked over these few columns only, so
    that comparing it with the versions the table holds costs a fraction of building the
    table. Ranked in int_leads__as_of's order (lead_version_order): a lead whose pick is
    the same keeps its row. -#}
{% macro lead_versions_picked() -%}
    {{ return(adapter.dispatch('lead_versions_picked')()) }}
{%- endmacro %}

{% macro default__lead_versions_picked() -%}
    select lead_id, _row_id, _load_seq, _loaded_at, updated_at
    from (
        select
            lead_id,
            _row_id,
            _load_seq,
            _loaded_at,
            updated_at,
            row_number() over (
                partition by lead_id
                order by {{ lead_version_order() }}
            ) as version_rank
        from {{ ref('stg_crm__leads') }}
        where updated_at < {{ as_of_end() }}
    ) as ranked_versions
    where version_rank = 1
{%- endmacro %}


{#- DuckDB: the same pick as one hash aggregate (arg_max over the order's columns, compared
    as a struct field by field), where the window sorts every version: 0.2 against 1.0 s
    at 10^6 leads (docs/benchmarks.md). No two versions tie on the whole order (one load,
    one row). -#}
{% macro duckdb__lead_versions_picked() -%}
    select
        lead_id,
        picked._row_id as _row_id,
        picked._load_seq as _load_seq,
        picked._loaded_at as _loaded_at,
        picked.updated_at as updated_at
    from (
        select
            lead_id,
            arg_max(
                {'_row_id': _row_id, '_load_seq': _load_seq, '_loaded_at': _loaded_at,
                 'updated_at': updated_at},
                {'updated_at': updated_at, '_load_seq': _load_seq, '_source_row': _source_row}
            ) as picked
        from {{ ref('stg_crm__leads') }}
        where updated_at < {{ as_of_end() }}
        group by lead_id
    ) as picked_versions
{%- endmacro %}


{#- The pick of int_leads__version_spans (macros/changed_records.sql): the row key and
    updated_at of every version of every lead known by the end of D. -#}
{% macro lead_version_keys() -%}
    select lead_id, _load_seq, _loaded_at, _source_row, updated_at
    from {{ ref('stg_crm__leads') }}
    where updated_at < {{ as_of_end() }}
{%- endmacro %}
