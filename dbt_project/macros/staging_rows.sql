{#- Rows of a raw table that the quality step has checked (their load is in checked_loads:
    rows of a run that died before its checks stay pending) and not held back (no active
    quarantine). `not exists` rather than `not in`: one quarantine row without a row_id (a
    file-level or aggregate finding) must not empty the whole model. -#}
{% macro clean_rows(entity) -%}
    select landed.*
    from {{ source('crm', entity) }} as landed
    where exists (
        select 1
        from {{ source('data_quality', 'checked_loads') }} as checked
        where checked.file_hash = landed._file_hash
          and checked.load_seq = landed._load_seq
    )
    and not exists (
        select 1
        from {{ source('data_quality', 'quarantine') }} as held_back
        where held_back.entity = '{{ entity }}'
          and held_back.released_at is null
          and held_back.row_id = landed._row_id
    )
{%- endmacro %}

{#- The latest clean copy of each event (follow-up, service record) known at the end of D:
    a re-exported event replaces the earlier copy (latest updated_at, then the later file,
    then the later row; sources.md). A copy whose updated_at is after D is a later version
    a rebuild for a past D must not see; copies without updated_at carry no version time
    and count. -#}
{% macro latest_clean_copies(entity, id_column) -%}
    select *
    from (
        select
            clean.*,
            row_number() over (
                partition by {{ id_column }}
                order by updated_at desc nulls last, _load_seq desc, _source_row desc
            ) as copy_rank
        from ({{ clean_rows(entity) }}) as clean
        where updated_at is null or updated_at < {{ as_of_end() }}
    ) as ranked_copies
    where copy_rank = 1
{%- endmacro %}
