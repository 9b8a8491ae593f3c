-- Service records opened at or before the end of D, as known at the end of D: a first
-- response or resolution stamped after D has not happened yet as of D. Each record gets its
-- service times in hours, its SLA limits (var sla, by priority) and whether it breaches:
-- response or resolution slower than the limit, or still unanswered / unresolved at the end
-- of D with more than the limit elapsed (marts.md, "Service times", "SLA"). A record resolved
-- without a recorded first response is not "still unanswered": for the response SLA it was
-- answered at the latest when resolved (first_response_hours itself stays NULL, never imputed).
-- A rating (satisfaction) counts as of D only once the record is resolved by the end of D
-- (sources.md): a record resolved after D has no rating yet in D's numbers, whatever the
-- copy says.
with records_opened_until_d as (
    select *
    from {{ ref('stg_crm__service_records') }}
    where opened_at < {{ as_of_end() }}
),

records_as_of_d as (
    select
        service_id,
        account_key,
        account_name,
        opened_at,
        type,
        priority,
        agent,
        case when first_response_at < {{ as_of_end() }} then first_response_at end
            as first_response_at,
        case when resolved_at < {{ as_of_end() }} then resolved_at end as resolved_at,
        case when resolved_at < {{ as_of_end() }} then satisfaction end as satisfaction,
        renewal_amount,
        {{ lifecycle_sla_hours('priority', 'response_hours') }} as sla_response_hours,
        {{ lifecycle_sla_hours('priority', 'resolution_hours') }} as sla_resolution_hours
    from records_opened_until_d
),

service_times as (
    select
        *,
        {{ lifecycle_hours_between('opened_at', 'first_response_at') }} as first_response_hours,
        {{ lifecycle_hours_between('opened_at', 'resolved_at') }} as resolution_hours,
        {{ lifecycle_hours_between('opened_at', as_of_end()) }} as hours_open_at_end_of_d
    from records_as_of_d
),

sla_checks as (
    select
        *,
        case
            when first_response_at is not null
                then first_response_hours > sla_response_hours
            when resolved_at is not null
                then resolution_hours > sla_response_hours
            else hours_open_at_end_of_d > sla_response_hours
        end as is_response_breach,
        case
            when resolved_at is not null
                then resolution_hours > sla_resolution_hours
            else hours_open_at_end_of_d > sla_resolution_hours
        end as is_resolution_breach
    from service_times
)

select
    service_id,
    account_key,
    account_name,
    opened_at,
    {{ month_of('opened_at') }} as opened_month,
    type,
    priority,
    agent,
    first_response_at,
    resolved_at,
    first_response_at is not null as is_responded,
    resolved_at is not null as is_resolved,
    first_response_hours,
    resolution_hours,
    sla_response_hours,
    sla_resolution_hours,
    coalesce(is_response_breach, false) as is_response_breach,
    coalesce(is_resolution_breach, false) as is_resolution_breach,
    coalesce(is_response_breach or is_resolution_breach, false) as is_sla_breach,
    satisfaction,
    case when type = 'renewal' then renewal_amount end as renewal_amount
from sla_checks
