-- 服务工单: one row per service record opened at or before the end of D, as known then
-- (int_service__records_as_of): its times, the SLA limits of its priority, breach flags
-- (slower than the limit, or still unanswered / unresolved at the end of D past it), the
-- rating as of D (only once resolved by the end of D) and the agent. No note text.
select
    service_id,
    account_key,
    account_name,
    type,
    priority,
    agent,
    opened_at,
    first_response_at,
    resolved_at,
    first_response_hours,
    resolution_hours,
    sla_response_hours as response_sla_hours,
    sla_resolution_hours as resolution_sla_hours,
    is_response_breach as is_response_breached,
    is_resolution_breach as is_resolution_breached,
    satisfaction,
    type = 'complaint' as is_complaint,
    not is_resolved as is_open,
    {{ as_of_date() }} as as_of_date
from {{ ref('int_service__records_as_of') }}
