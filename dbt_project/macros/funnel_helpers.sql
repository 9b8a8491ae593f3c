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

{#- The outcome columns monthly_kpis and weekly_kpis share, per period of the spine CTE
    `spine` (key column `spine_key`, a date truncated to `period`, 'month' or 'week'), from
    the CTE `opportunities` (fct_opportunities): new opportunities by created_at; won and
    lost deals (status as of D) with their amounts by closed_at; the average and median sales
    cycle of the deals won in the period. Written once so the two grains cannot drift apart.
    A select usable as a CTE body; periods without deals get 0 counts and NULL cycles. -#}
{% macro opportunity_outcomes_by_period(period, spine, spine_key) -%}
    select
        {{ spine }}.{{ spine_key }},
        coalesce(created.new_opportunities, 0) as new_opportunities,
        coalesce(closed.won_count, 0) as won_count,
        coalesce(closed.lost_count, 0) as lost_count,
        coalesce(closed.won_amount, 0) as won_amount,
        coalesce(closed.lost_amount, 0) as lost_amount,
        won_cycle.avg_sales_cycle_days,
        won_cycle.median_sales_cycle_days
    from {{ spine }}
    left join (
        select
            {{ period_of(period, 'created_at') }} as period_start,
            count(*) as new_opportunities
        from opportunities
        group by {{ period_of(period, 'created_at') }}
    ) as created
        on {{ spine }}.{{ spine_key }} = created.period_start
    left join (
        select
            {{ period_of(period, 'closed_at') }} as period_start,
            count(case when status = 'won' then 1 end) as won_count,
            count(case when status = 'lost' then 1 end) as lost_count,
            coalesce(sum(case when status = 'won' then amount end), 0) as won_amount,
            coalesce(sum(case when status = 'lost' then amount end), 0) as lost_amount
        from opportunities
        where status in ('won', 'lost')
        group by {{ period_of(period, 'closed_at') }}
    ) as closed
        on {{ spine }}.{{ spine_key }} = closed.period_start
    left join (
        select
            {{ period_of(period, 'closed_at') }} as period_start,
            avg({{ as_double('sales_cycle_days') }}) as avg_sales_cycle_days,
            {{ median('sales_cycle_days') }} as median_sales_cycle_days
        from opportunities
        where status = 'won'
        group by {{ period_of(period, 'closed_at') }}
    ) as won_cycle
        on {{ spine }}.{{ spine_key }} = won_cycle.period_start
{%- endmacro %}
