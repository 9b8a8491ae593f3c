"""Every query the decks run, in one place, against the spec's table and column names.

Keys are stable: the decks store them in chart names (``chart:<key>``) and footers name
the tables, so a test can run ``QUERIES[key]`` and compare. "D" is the marts'
``as_of_date``; "this week" is D's ISO week (Monday start), "this month" D's month.
Amounts are returned in the configured currency; the decks convert them to 万元.
"""

from __future__ import annotations

from core.rules import Rule
from delivery.decks.data import MartQuery

OF = "opportunity_funnel"
CL = "customer_lifecycle"
DQ = "data_quality"


def _q(key: str, tables: tuple[str, ...], sql: str) -> MartQuery:
    return MartQuery(key, tables, " ".join(sql.split()))


_ALL = [
    # ------------------------------------------------------------ data quality (title)
    _q(
        "publish_status",
        (f"{DQ}.publish_log", f"{DQ}.check_results", f"{DQ}.quarantine"),
        f"""
        with latest as (
            select run_id, as_of_date, status, reason
            from {DQ}.publish_log where status = 'published'
            order by finished_at desc limit 1
        ), checked as (
            select sum(checked_rows) as rows_checked, sum(failed_rows) as rows_quarantined
            from {DQ}.check_results
            where rule = '{Rule.QUARANTINE_RATE}' and run_id = (select run_id from latest)
        ), held as (
            select count(distinct row_id) as rows_held
            from {DQ}.quarantine where released_at is null
        )
        select latest.*, checked.rows_checked, checked.rows_quarantined, held.rows_held
        from latest, checked, held
    """,
    ),
    # --------------------------------------------------------------- opportunity deck
    _q("opp_kpi_summary", (f"{OF}.kpi_summary",), f"select * from {OF}.kpi_summary"),
    _q(
        "opp_weekly_kpis",
        (f"{OF}.weekly_kpis",),
        f"""
        with this_week as (
            select max(as_of_date) - cast(isodow(max(as_of_date)) - 1 as integer) as week_start
            from {OF}.weekly_kpis
        )
        select w.week_start, w.new_opportunities, w.won_count, w.lost_count, w.won_amount,
               w.win_rate, w.win_rate_by_amount, w.avg_sales_cycle_days, w.open_count,
               w.weighted_pipeline
        from {OF}.weekly_kpis as w, this_week
        where w.week_start in (this_week.week_start, this_week.week_start - 7)
        order by w.week_start desc
    """,
    ),
    _q(
        "opp_pipeline_last_week",
        (f"{OF}.pipeline_snapshot",),
        f"""
        with previous as (
            select max(snapshot_date) as snapshot_date from {OF}.pipeline_snapshot
            where snapshot_date
                between (select max(snapshot_date) from {OF}.pipeline_snapshot) - 13
                    and (select max(snapshot_date) from {OF}.pipeline_snapshot) - 7
        )
        select p.snapshot_date, sum(p.open_count) as open_count,
               sum(p.open_amount) as open_amount, sum(p.weighted_amount) as weighted_amount
        from {OF}.pipeline_snapshot as p join previous using (snapshot_date)
        group by p.snapshot_date
    """,
    ),
    _q(
        "funnel_by_stage",
        (f"{OF}.funnel_conversion",),
        f"""
        with stages as (
            select stage, min(stage_order) as stage_order, sum(reached_count) as reached_count,
                   sum(advanced_count) as advanced_count
            from {OF}.funnel_conversion group by stage
        ), won as (
            select 'won' as stage,
                   (select max(stage_order) + 1 from {OF}.funnel_conversion) as stage_order,
                   sum(won_count) as reached_count, null::bigint as advanced_count
            from {OF}.funnel_conversion
            where stage_order = (select min(stage_order) from {OF}.funnel_conversion)
        )
        select stage, reached_count,
               case when reached_count > 0 then advanced_count / reached_count end
                   as conversion_to_next_rate
        from (select * from stages union all select * from won)
        where reached_count is not null
        order by stage_order
    """,
    ),
    _q(
        "monthly_trend",
        (f"{OF}.monthly_kpis",),
        f"""
        select month, new_opportunities, won_count, win_rate, win_rate_by_amount
        from {OF}.monthly_kpis
        where month > date_trunc('month', as_of_date) - interval 12 month
        order by month
    """,
    ),
    _q(
        "forecast_by_month",
        (f"{OF}.forecast",),
        f"""
        select expected_close_month, open_amount, weighted_amount, open_count
        from {OF}.forecast
        where open_count > 0
        order by expected_close_month nulls last
    """,
    ),
    _q(
        "forecast_accuracy",
        (f"{OF}.forecast_accuracy",),
        f"""
        select month, forecast_weighted_amount, actual_won_amount, accuracy_pct
        from {OF}.forecast_accuracy
        where month < date_trunc('month', as_of_date)
          and month >= date_trunc('month', as_of_date) - interval 12 month
        order by month
    """,
    ),
    _q(
        "source_performance",
        (f"{OF}.source_performance",),
        f"""
        select source, sum(leads) as leads, sum(won_count) as won_count,
               sum(won_count) / nullif(sum(won_count) + sum(lost_count), 0) as win_rate,
               sum(won_amount) as won_amount
        from {OF}.source_performance
        group by source
        order by leads desc, source
    """,
    ),
    _q(
        "rep_leaderboard",
        (f"{OF}.rep_performance",),
        f"""
        select owner, team, won_amount, won_count, win_rate, open_count, weighted_pipeline,
               stalled_count
        from {OF}.rep_performance
        where month = date_trunc('month', as_of_date)
        order by won_amount desc nulls last, weighted_pipeline desc nulls last, owner
        limit 15
    """,
    ),
    _q(
        "team_subtotals",
        (f"{OF}.team_performance",),
        f"""
        select team, reps, won_amount, won_count, win_rate, won_amount_per_rep
        from {OF}.team_performance
        where month = date_trunc('month', as_of_date)
        order by won_amount desc nulls last, team
    """,
    ),
    _q(
        "loss_reasons_pareto",
        (f"{OF}.loss_reasons",),
        f"""
        with recent as (
            select coalesce(loss_reason, '') as loss_reason, sum(lost_count) as lost_count,
                   sum(lost_amount) as lost_amount
            from {OF}.loss_reasons
            where month > date_trunc('month', as_of_date) - interval 3 month
            group by 1
        )
        select loss_reason, lost_count, lost_amount,
               sum(lost_count) over (order by lost_count desc, loss_reason
                                     rows unbounded preceding)
                   / sum(lost_count) over () as cumulative_share
        from recent
        where lost_count > 0
        order by lost_count desc, loss_reason
        limit 10
    """,
    ),
    _q(
        "grade_mix",
        (f"{OF}.fct_opportunities",),
        f"""
        select grade, count(*) filter (where status = 'open') as open_count,
               count(*) filter (where status = 'won') as won_count,
               count(*) filter (where status = 'lost') as lost_count,
               count(*) filter (where status = 'won')
                   / nullif(count(*) filter (where status in ('won', 'lost')), 0) as win_rate
        from {OF}.fct_opportunities
        group by grade
        order by grade nulls last
    """,
    ),
    _q(
        "attention_top",
        (f"{OF}.attention_list", f"{OF}.fct_opportunities"),
        f"""
        select a.lead_id, any_value(o.account_name) as account_name, a.owner,
               any_value(o.stage) as stage, list(a.reason order by a.reason) as reasons,
               max(a.days) as days, max(a.amount) as amount
        from {OF}.attention_list as a left join {OF}.fct_opportunities as o using (lead_id)
        where a.reason in ('stalled', 'overdue_follow_up', 'no_touch', 'past_due_close',
                           'no_close_date')
        group by a.lead_id, a.owner
        order by amount desc nulls last, days desc nulls last, a.lead_id
        limit 8
    """,
    ),
    _q(
        "attention_counts",
        (f"{OF}.attention_list",),
        f"""
        select reason, count(distinct lead_id) as opportunities, sum(amount) as amount
        from {OF}.attention_list
        group by reason
        order by opportunities desc, reason
    """,
    ),
    _q(
        "recycle_candidates",
        (f"{OF}.fct_opportunities",),
        f"""
        select lead_id, account_name, owner, stage, days_since_last_touch, amount, loss_reason
        from {OF}.fct_opportunities
        where is_recycle_candidate
        order by amount desc nulls last, lead_id
        limit 8
    """,
    ),
    # ------------------------------------------------------------------ customer deck
    _q("cust_kpi_summary", (f"{CL}.kpi_summary",), f"select * from {CL}.kpi_summary"),
    _q(
        "cust_month_change",
        (f"{CL}.customer_monthly",),
        f"""
        select month, customers_at_end, new_customers, churned_customers
        from {CL}.customer_monthly
        where month >= date_trunc('month', as_of_date) - interval 1 month
        order by month desc
    """,
    ),
    _q(
        "lifecycle_mix",
        (f"{CL}.dim_customers",),
        f"""
        select lifecycle_status, count(*) as customers
        from {CL}.dim_customers
        group by lifecycle_status
        order by case lifecycle_status when 'new' then 1 when 'active' then 2
                 when 'at_risk' then 3 when 'churned' then 4 else 5 end
    """,
    ),
    _q(
        "tier_summary",
        (f"{CL}.tier_summary",),
        f"""
        select tier, customers, lifetime_value, share_of_value, avg_lifetime_value
        from {CL}.tier_summary
        where tier is not null
        order by tier
    """,
    ),
    _q(
        "ltv_distribution",
        (f"{CL}.dim_customers",),
        f"""
        with bands(band, band_label, lower_bound, upper_bound) as (
            values (1, '0–1', 0, 10000), (2, '1–5', 10000, 50000), (3, '5–10', 50000, 100000),
                   (4, '10–50', 100000, 500000), (5, '50–100', 500000, 1000000),
                   (6, '≥100', 1000000, null)
        )
        select bands.band, bands.band_label, bands.lower_bound, bands.upper_bound,
               count(c.account_key) as customers
        from bands left join {CL}.dim_customers as c
          on c.lifecycle_status <> 'churned'
         and coalesce(c.lifetime_value, 0) >= bands.lower_bound
         and (bands.upper_bound is null or coalesce(c.lifetime_value, 0) < bands.upper_bound)
        group by all
        order by bands.band
    """,
    ),
    _q(
        "repurchase_by_month",
        (f"{CL}.customer_monthly",),
        f"""
        select month, repurchase_rate
        from {CL}.customer_monthly
        where month > date_trunc('month', as_of_date) - interval 12 month
        order by month
    """,
    ),
    _q(
        "churn_by_month",
        (f"{CL}.customer_monthly",),
        f"""
        select month, new_customers, churned_customers, churned_new_customers,
               won_back_customers, churn_rate
        from {CL}.customer_monthly
        where month > date_trunc('month', as_of_date) - interval 12 month
        order by month
    """,
    ),
    _q(
        "cohort_retention",
        (f"{CL}.cohort_retention",),
        f"""
        select cohort_month, months_since_acquisition, cohort_size, retention_rate
        from {CL}.cohort_retention
        where cohort_month > date_trunc('month', as_of_date) - interval 12 month
        order by cohort_month, months_since_acquisition
    """,
    ),
    _q(
        "csat_by_month",
        (f"{CL}.service_monthly",),
        f"""
        select month, sum(rated) as rated,
               sum(avg_satisfaction * rated) / nullif(sum(rated), 0) as avg_satisfaction,
               sum(csat_rate * rated) / nullif(sum(rated), 0) as csat_rate
        from {CL}.service_monthly
        where month > date_trunc('month', as_of_date) - interval 12 month
        group by month
        having sum(rated) > 0
        order by month
    """,
    ),
    _q(
        "csat_distribution",
        (f"{CL}.fct_service_requests",),
        f"""
        with scores(satisfaction) as (values (1), (2), (3), (4), (5))
        select scores.satisfaction, count(r.service_id) as ratings
        from scores left join {CL}.fct_service_requests as r
          on r.satisfaction = scores.satisfaction
         and r.opened_at >= r.as_of_date - interval 90 day
        group by all
        order by scores.satisfaction
    """,
    ),
    _q(
        "service_by_priority",
        (f"{CL}.service_monthly",),
        f"""
        select priority, requests, median_first_response_hours, median_resolution_hours,
               sla_breaches, sla_breach_rate
        from {CL}.service_monthly
        where month = date_trunc('month', as_of_date) and requests > 0
        order by case priority when 'urgent' then 1 when 'high' then 2 when 'medium' then 3
                 when 'low' then 4 else 5 end
    """,
    ),
    _q(
        "at_risk_top",
        (f"{CL}.churn_watchlist", f"{CL}.dim_customers"),
        f"""
        select w.account_key, w.account_name, w.owner, w.lifecycle_status,
               list(distinct w.reason order by w.reason) as reasons,
               max(w.lifetime_value) as lifetime_value, max(c.days_since_last_activity)
                   as days_since_last_activity
        from {CL}.churn_watchlist as w left join {CL}.dim_customers as c using (account_key)
        where w.lifecycle_status <> 'churned'
        group by all
        order by lifetime_value desc nulls last, w.account_key
        limit 8
    """,
    ),
]

# Per-owner digest (停滞预警 / 漏跟进提醒): one owner's rows only (parameter: the owner).
# Record id, account, stage, reason, days: never phones, e-mails or notes.
OWNER_DEALS = _q(
    "owner_deals",
    (f"{OF}.attention_list", f"{OF}.fct_opportunities"),
    f"""
    select a.lead_id, any_value(o.account_name) as account_name, any_value(o.stage) as stage,
           list(a.reason order by a.reason) as reasons, max(a.days) as days
    from {OF}.attention_list as a left join {OF}.fct_opportunities as o using (lead_id)
    where a.owner = ? and a.reason in ('stalled', 'overdue_follow_up', 'no_touch')
    group by a.lead_id
    order by days desc nulls last, a.lead_id
""",
)
OWNER_CUSTOMERS = _q(
    "owner_customers",
    (f"{CL}.churn_watchlist", f"{CL}.dim_customers"),
    f"""
    select w.account_key, w.account_name, list(distinct w.reason order by w.reason) as reasons,
           max(c.days_since_last_activity) as days
    from {CL}.churn_watchlist as w left join {CL}.dim_customers as c using (account_key)
    where w.owner = ? and w.lifecycle_status <> 'churned'
    group by w.account_key, w.account_name
    order by days desc nulls last, w.account_key
""",
)
_ALL += [OWNER_DEALS, OWNER_CUSTOMERS]

QUERIES: dict[str, MartQuery] = {query.key: query for query in _ALL}
