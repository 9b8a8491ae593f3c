{#- Which landed rows a build for D may use, and from when each copy is known
    (sources.md, "Versions and point in time"; marts.md). -#}

{#- True when a quarantine row holds its raw row back from a build for D. A row is held
    back while its quarantine is active (released_at NULL), whatever D: a row found bad
    never reaches a mart. A released row stays held back in every build for a D at whose
    end it was still quarantined: quarantined by a run for a business date at or before D
    (as_of_date; first_quarantined_at's local date when missing) and released by a run for
    a business date after D (release_business_date). So a rebuild of a past D excludes what
    that day's build excluded, and a build that releases a row includes it, as a build from
    scratch for that date (where the row was never quarantined) does. -#}
{% macro is_held_back_as_of_d(quarantine) -%}
    (
        {{ quarantine }}.released_at is null
        or (
            coalesce(
                {{ quarantine }}.as_of_date,
                cast({{ utc_to_local(quarantine ~ '.first_quarantined_at') }} as date)
            ) <= {{ as_of_date() }}
            and {{ release_business_date(quarantine) }} > {{ as_of_date() }}
        )
    )
{%- endmacro %}

{#- The business date of the run that released a quarantine row: the quality step stamps
    released_at with its own checked_at, so the run is the one whose check_results carry
    that time. Not the wall-clock release time: a backfill releases rows while catching up
    on past dates. A release no run row explains counts from its local date. -#}
{% macro release_business_date(quarantine) -%}
    coalesce(
        (
            select max(release_run.as_of_date)
            from {{ source('data_quality', 'check_results') }} as release_run
            where release_run.checked_at = {{ quarantine }}.released_at
              and release_run.check_source <> 'dbt'
        ),
        cast({{ utc_to_local(quarantine ~ '.released_at') }} as date)
    )
{%- endmacro %}

{#- Rows of a raw table that the quality step has checked (their load is in checked_loads:
    rows of a run that died before its checks stay pending) and that the quarantine has not
    held back as of D. `not exists` rather than `not in`: one quarantine row without a row_id
    (a file-level or aggregate finding) must not empty the whole model. The rows are read
    from the entity's incremental base (models/staging/base: every raw row, masked), which
    holds the same rows as raw whatever D: the as-of choice is made here, every run.
    `landed_filter`, a condition on `landed`, narrows the rows first (an incremental run of
    stg_crm__leads takes only the changed leads, macros/changed_records.sql). -#}
{% macro clean_rows(entity, landed_filter='true') -%}
    select landed.*
    from {{ ref('base_crm__' ~ entity) }} as landed
    where {{ landed_filter }}
    and exists (
        select 1
        from {{ source('data_quality', 'checked_loads') }} as checked
        where checked.file_hash = landed._file_hash
          and checked.load_seq = landed._load_seq
    )
    and not exists (
        select 1
        from {{ source('data_quality', 'quarantine') }} as held_back
        where held_back.entity = '{{ entity }}'
          and held_back.row_id = landed._row_id
          and {{ is_held_back_as_of_d('held_back') }}
    )
{%- endmacro %}

{#- A file's business date (sources.md): a date in its file name, `YYYY-MM-DD` first, else
    eight digits `YYYYMMDD` standing alone, else the local date it was loaded (_loaded_at is
    UTC). A name holding something that is no calendar date (2026-13-45) falls through to
    the next rule. -#}
{% macro file_business_date(source_file_column, loaded_at_column) -%}
    {{ return(adapter.dispatch('file_business_date')(source_file_column, loaded_at_column)) }}
{%- endmacro %}

{% macro default__file_business_date(source_file_column, loaded_at_column) -%}
    coalesce(
        cast(try_strptime(
            regexp_extract(regexp_extract({{ source_file_column }}, '[^/\\]*$', 0),
                           '([0-9]{4}-[0-9]{2}-[0-9]{2})', 1),
            '%Y-%m-%d') as date),
        cast(try_strptime(
            regexp_extract(regexp_extract({{ source_file_column }}, '[^/\\]*$', 0),
                           '(^|[^0-9])([0-9]{8})([^0-9]|$)', 2),
            '%Y%m%d') as date),
        cast({{ utc_to_local(loaded_at_column) }} as date)
    )
{%- endmacro %}

{% macro postgres__file_business_date(source_file_column, loaded_at_column) -%}
    coalesce(
        to_date(substring(substring({{ source_file_column }} from '[^/\\]*$')
                          from '([0-9]{4}-[0-9]{2}-[0-9]{2})'), 'YYYY-MM-DD'),
        to_date(substring(substring({{ source_file_column }} from '[^/\\]*$')
                          from '(?:^|[^0-9])([0-9]{8})(?:[^0-9]|$)'), 'YYYYMMDD'),
        cast({{ utc_to_local(loaded_at_column) }} as date)
    )
{%- endmacro %}

{#- From when a copy of a record is known (sources.md): its updated_at when it has one;
    else the first landed copy of the record (by load order) from the record's own time
    (`own_time_column`: created_at of a lead, occurred_at / opened_at of an event), so a
    one-off export of history stays visible to past dates; else a later copy from the start
    of its file's business date, never earlier than the record's own time. Evaluate over all
    clean copies of the record (a window function), before any cut-off at D. -#}
{% macro copy_known_from(id_column, own_time_column) -%}
    coalesce(
        updated_at,
        case
            when row_number() over (
                partition by {{ id_column }} order by _load_seq, _source_row
            ) = 1
                then {{ own_time_column }}
            when {{ own_time_column }}
                 > cast({{ file_business_date('_source_file', '_loaded_at') }} as {{ dbt.type_timestamp() }})
                then {{ own_time_column }}
            else cast({{ file_business_date('_source_file', '_loaded_at') }} as {{ dbt.type_timestamp() }})
        end
    )
{%- endmacro %}

{#- The latest clean copy of each event (follow-up, service record) known at the end of D:
    a re-exported event replaces the earlier copy (latest updated_at, then the later file,
    then the later row; sources.md). A copy known only after D (copy_known_from) is a later
    version that a build for a past D must not see. `landed_filter` as in clean_rows: it
    must keep or drop all copies of an id together. -#}
{% macro latest_clean_copies(entity, id_column, own_time_column, landed_filter='true') -%}
    select *
    from (
        select
            known_copies.*,
            row_number() over (
                partition by {{ id_column }}
                order by updated_at desc nulls last, _load_seq desc, _source_row desc
            ) as copy_rank
        from (
            select
                clean.*,
                {{ copy_known_from(id_column, own_time_column) }} as _known_from_at
            from ({{ clean_rows(entity, landed_filter) }}) as clean
        ) as known_copies
        where _known_from_at < {{ as_of_end() }}
    ) as ranked_copies
    where copy_rank = 1
{%- endmacro %}

{#- Spark: regexp_extract returns '' (not NULL) when nothing matches, and with ANSI mode
    (Spark 4's default) to_date fails on a non-date; try_to_timestamp gives NULL for both,
    so the coalesce falls through as on DuckDB. Java date patterns, not strptime's. -#}
{% macro spark__file_business_date(source_file_column, loaded_at_column) -%}
    coalesce(
        cast(try_to_timestamp(
            regexp_extract(regexp_extract({{ source_file_column }}, '[^/\\\\]*$', 0),
                           '([0-9]{4}-[0-9]{2}-[0-9]{2})', 1),
            'yyyy-MM-dd') as date),
        cast(try_to_timestamp(
            regexp_extract(regexp_extract({{ source_file_column }}, '[^/\\\\]*$', 0),
                           '(^|[^0-9])([0-9]{8})([^0-9]|$)', 2),
            'yyyyMMdd') as date),
        cast({{ utc_to_local(loaded_at_column) }} as date)
    )
{%- endmacro %}
