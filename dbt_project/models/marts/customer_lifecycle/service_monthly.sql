-- One row per (month of opened_at, priority) from the first service record's month to D's
-- month, for every configured priority (var enum_keys.priority), so series have no gaps
-- (服务月度). Service times in hours over records answered / resolved by the end of D;
-- SLA breaches as flagged in int_service__records_as_of; csat_rate = ratings >= 4 / rated.
with service_records as (
    select * from {{ ref('int_service__records_as_of') }}
),

months as (
    select period_start as month
    from ({{ period_spine(
        'month',
        '(select ' ~ month_of('min(opened_at)') ~ ' from ' ~ ref('int_service__records_as_of') ~ ')',
        as_of_month()
    ) }}) as month_spine
),

priorities as (
    {%- for priority in var("enum_keys")["priority"] %}
    select '{{ priority }}' as priority, {{ loop.index }} as priority_order
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

monthly_service as (
    select
        opened_month as month,
        priority,
        count(*) as requests,
        count(case when type = 'complaint' then 1 end) as complaints,
        count(case when is_resolved then 1 end) as resolved,
        {{ median('first_response_hours') }}
            as median_first_response_hours,
        {{ percentile(0.9, 'first_response_hours') }}
            as p90_first_response_hours,
        {{ median('resolution_hours') }}
            as median_resolution_hours,
        count(case when is_sla_breach then 1 end) as sla_breaches,
        count(satisfaction) as rated,
        avg({{ as_double('satisfaction') }}) as avg_satisfaction,
        count(case when satisfaction >= 4 then 1 end) as satisfied
    from service_records
    group by opened_month, priority
)

select
    months.month,
    priorities.priority,
    priorities.priority_order,
    coalesce(monthly_service.requests, 0) as requests,
    coalesce(monthly_service.complaints, 0) as complaints,
    coalesce(monthly_service.resolved, 0) as resolved,
    monthly_service.median_first_response_hours,
    monthly_service.p90_first_response_hours,
    monthly_service.median_resolution_hours,
    coalesce(monthly_service.sla_breaches, 0) as sla_breaches,
    {{ ratio_or_null('monthly_service.sla_breaches', 'monthly_service.requests') }}
        as sla_breach_rate,
    coalesce(monthly_service.rated, 0) as rated,
    monthly_service.avg_satisfaction,
    {{ ratio_or_null('monthly_service.satisfied', 'monthly_service.rated') }} as csat_rate,
    {{ as_of_date() }} as as_of_date
from months
cross join priorities
left join monthly_service
    on months.month = monthly_service.month
   and priorities.priority = monthly_service.priority
