-- Won deals handed over to customer management (商机转客户): every lead whose version as of D
-- is won with closed_at at or before the end of D. One row per won lead.
select
    lead_id,
    account_key,
    account_name,
    owner,
    team,
    amount,
    closed_at
from {{ ref('int_leads__as_of') }}
where status = 'won'
  and closed_at < {{ as_of_end() }}
