{#- Helpers of the opportunity-funnel mart (marts.md, schema opportunity_funnel).
    Every configurable number comes from dbt vars (stages, thresholds, grading); the SQL
    they expand to is portable (dbt cross-database macros, CASE, no engine-only syntax). -#}

{#- The configured non-terminal (open) stages, in funnel order. -#}
{% macro funnel_open_stages() -%}
    {%- set open_stages = [] -%}
    {%- for stage in var("stages") | sort(attribute="order") -%}
        {%- if not stage.terminal -%}{%- do open_stages.append(stage) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(open_stages) }}
{%- endmacro %}

{#- Rank of a stage for "reached" (marts.md): 1, 2, … for the open stages in funnel order,
    and `won` (one more) above every open stage whatever its configured position. Other
    terminal stages (lost) rank NULL: they are never "reached". Consecutive ranks make
    "next stage" and "skipped stages" plain arithmetic. -#}
{% macro funnel_reach_rank(stage_column) -%}
    {%- set open_stages = funnel_open_stages() -%}
    case {{ stage_column }}
    {%- for stage in open_stages %}
        when '{{ stage.key }}' then {{ loop.index }}
    {%- endfor %}
        when 'won' then {{ open_stages | length + 1 }}
    end
{%- endmacro %}

{#- One row per open stage: stage, stage_order, stage_label_zh, stall_days, reach_rank
    (funnel_reach_rank of the stage) and next_reach_rank, the rank a lead must reach to
    count as advanced past it (the next open stage, or `won` after the last one). A select
    usable as a CTE body. -#}
{% macro funnel_open_stage_rows() -%}
    {%- set open_stages = funnel_open_stages() -%}
    {%- for stage in open_stages %}
    select
        '{{ stage.key }}' as stage,
        {{ stage.order }} as stage_order,
        '{{ stage.label_zh }}' as stage_label_zh,
        {{ stage.stall_days }} as stall_days,
        {{ loop.index }} as reach_rank,
        {{ loop.index + 1 }} as next_reach_rank
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- Key of the entry stage: the first stage of the ordered list. -#}
{% macro funnel_entry_stage() -%}
    {{ return((var("stages") | sort(attribute="order") | first).key) }}
{%- endmacro %}

{#- 商机分级 score (grading vars): points of the highest amount band reached, plus urgency,
    decision-maker and source points. Unknown or missing values score 0. -#}
{% macro funnel_grade_score(amount, urgency, decision_maker_reached, source) -%}
    {%- set grading = var("grading") -%}
    (
        case
        {%- for band in grading.amount_bands | sort(attribute="min_amount", reverse=true) %}
            when {{ amount }} >= {{ band.min_amount }} then {{ band.points }}
        {%- endfor %}
            else 0
        end
        + case {{ urgency }}
        {%- for key, points in grading.urgency_points.items() %}
            when '{{ key }}' then {{ points }}
        {%- endfor %}
            else 0
        end
        + case when {{ decision_maker_reached }} then {{ grading.decision_maker_points }} else 0 end
        + case {{ source }}
        {%- for key, points in grading.source_points.items() %}
            when '{{ key }}' then {{ points }}
        {%- endfor %}
            else 0
        end
    )
{%- endmacro %}

{#- Grade A / B / C from a score and the configured minimum scores. -#}
{% macro funnel_grade(score) -%}
    case
        when {{ score }} >= {{ var("grading").a_min_score }} then 'A'
        when {{ score }} >= {{ var("grading").b_min_score }} then 'B'
        else 'C'
    end
{%- endmacro %}


{#- The stage key of a reach rank (inverse of funnel_reach_rank). -#}
{% macro funnel_stage_of_reach_rank(rank_column) -%}
    {%- set open_stages = funnel_open_stages() -%}
    case {{ rank_column }}
    {%- for stage in open_stages %}
        when {{ loop.index }} then '{{ stage.key }}'
    {%- endfor %}
        when {{ open_stages | length + 1 }} then 'won'
    end
{%- endmacro %}

{#- The configured recyclable loss reasons (var attention.recyclable_loss_reasons) as a
    list of SQL string literals for `in (...)`; a never-matching NULL when the list is empty. -#}
{% macro recyclable_loss_reasons() -%}
    {%- set reasons = var("attention").recyclable_loss_reasons -%}
    {%- if reasons | length == 0 -%}
        null
    {%- else -%}
        {%- for reason in reasons -%}
            '{{ reason | replace("'", "''") }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
