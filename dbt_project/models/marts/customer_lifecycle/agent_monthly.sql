-- 客服月度: one row per (month of opened_at, agent) with service records, as of D. Service
-- times over the records answered / resolved by the end of D; a breach is a record slower
-- than its priority's limit on response or resolution, or still open past it at the end of
-- D (int_service__records_as_of.is_sla_breach); csat_rate = ratings >= 4 ÷ ratings given.
with service_records as (
    select * from {{ ref('int_service__records_as_of') }}
),

per_agent_month as (
    select
        opened_month as month,
        agent,
        count(*) as requests,
        count(case when is_resolved then 1 end) as resolved,
        {{ median('first_response_hours') }} as median_first_response_hours,
        {{ median('resolution_hours') }} as median_resolution_hours,
        count(case when is_sla_breach then 1 end) as sla_breaches,
        count(satisfaction) as rated,
        avg({{ as_double('satisfaction') }}) as avg_satisfaction,
        count(case when satisfaction >= 4 then 1 end) as satisfied
    from service_records
    group by opened_month, agent
)

select
    month,
    agent,
    requests,
    resolved,
    median_first_response_hours,
    median_resolution_hours,
    sla_breaches,
    {{ ratio_or_null('sla_breaches', 'requests') }} as sla_breach_rate,
    rated,
    avg_satisfaction,
    {{ ratio_or_null('satisfied', 'rated') }} as csat_rate,
    {{ as_of_date() }} as as_of_date
from per_agent_month
