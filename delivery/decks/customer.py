"""客户月报 (monthly customer deck) for the customer-success review (issue #12 item 5).

Customers and their change against last month, lifecycle mix, tiers and value, repurchase,
churn, cohort retention, satisfaction, service times and SLA, and the customers at risk.
"""

from __future__ import annotations

import datetime as dt

from delivery.decks.common import Context, delta_text, headline, quality_lines, trend
from delivery.decks.data import Row, Unavailable
from delivery.decks.model import (
    Category,
    Chart,
    ChartSpec,
    Column,
    Deck,
    Element,
    Kpi,
    Note,
    SeriesSpec,
    Slide,
    Table,
    month_text,
    number,
)


def chart_specs(ctx: Context) -> dict[str, ChartSpec]:
    """Every chart of the deck, by id (tests look them up by the shape's name)."""
    t = ctx.t
    specs = [
        ChartSpec(
            "lifecycle_mix",
            "lifecycle_mix",
            "pie",
            Category("lifecycle_status", "lifecycle_status"),
            (SeriesSpec(t("客户数", "Customers"), "customers", "count"),),
        ),
        ChartSpec(
            "tier_customers",
            "tier_summary",
            "column",
            Category("tier", "tier"),
            (SeriesSpec(t("客户数", "Customers"), "customers", "count"),),
        ),
        ChartSpec(
            "tier_value_share",
            "tier_summary",
            "pie",
            Category("tier", "tier"),
            (SeriesSpec(t("终身价值占比", "Share of lifetime value"), "share_of_value", "rate"),),
        ),
        ChartSpec(
            "ltv_distribution",
            "ltv_distribution",
            "column",
            Category("band_label"),
            (
                SeriesSpec(
                    t("客户数（按终身价值，万元）", "Customers (by lifetime value, 10k CNY)"),
                    "customers",
                    "count",
                ),
            ),
        ),
        ChartSpec(
            "repurchase_by_month",
            "repurchase_by_month",
            "line",
            Category("month", month=True),
            (SeriesSpec(t("复购率", "Repurchase rate"), "repurchase_rate", "rate"),),
        ),
        ChartSpec(
            "churn_by_month",
            "churn_by_month",
            "column",
            Category("month", month=True),
            (
                SeriesSpec(t("新增客户", "New"), "new_customers", "count"),
                SeriesSpec(t("流失客户", "Churned"), "churned_customers", "count"),
                SeriesSpec(
                    t("当月新增即流失", "New and churned"), "churned_new_customers", "count"
                ),
                SeriesSpec(t("赢回客户", "Won back"), "won_back_customers", "count"),
            ),
        ),
        ChartSpec(
            "churn_rate_by_month",
            "churn_by_month",
            "line",
            Category("month", month=True),
            (SeriesSpec(t("流失率", "Churn rate"), "churn_rate", "rate"),),
        ),
        ChartSpec(
            "csat_by_month",
            "csat_by_month",
            "line",
            Category("month", month=True),
            (SeriesSpec(t("满意率（≥4 分）", "CSAT (ratings ≥ 4)"), "csat_rate", "rate"),),
        ),
        ChartSpec(
            "csat_distribution",
            "csat_distribution",
            "column",
            Category("satisfaction"),
            (SeriesSpec(t("评分次数（近 90 天）", "Ratings (90 days)"), "ratings", "count"),),
        ),
        ChartSpec(
            "service_volume",
            "service_by_priority",
            "column",
            Category("priority", "priority"),
            (SeriesSpec(t("本月服务量", "Requests this month"), "requests", "count"),),
        ),
        ChartSpec(
            "service_times",
            "service_by_priority",
            "column",
            Category("priority", "priority"),
            (
                SeriesSpec(
                    t("首次响应中位数", "Median first response"),
                    "median_first_response_hours",
                    "hours",
                ),
                SeriesSpec(
                    t("解决时长中位数", "Median resolution"), "median_resolution_hours", "hours"
                ),
            ),
        ),
    ]
    return {spec.chart_id: spec for spec in specs}


def _kpis(ctx: Context) -> tuple[list[Kpi], dict[str, str]]:
    t, show = ctx.t, ctx.show
    summary_rows = ctx.rows_or_empty("cust_kpi_summary")
    summary: Row = summary_rows[0] if summary_rows else {}
    months: dict[object, Row] = {}
    if ctx.as_of_date is not None:
        this_month = ctx.as_of_date.replace(day=1)
        last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
        by_month = {r["month"]: r for r in ctx.rows_or_empty("cust_month_change")}
        months = {"now": by_month.get(this_month, {}), "before": by_month.get(last_month, {})}
    now, before = months.get("now", {}), months.get("before", {})
    kpis: list[Kpi] = []

    def add(name: str, value: object, previous: object, unit: str, better: bool = True) -> None:
        kpis.append(
            Kpi(
                name,
                show(value, unit),
                delta_text(value, previous, unit, ctx.language),
                trend(value, previous, better),
            )
        )

    add(t("客户数", "Customers"), summary.get("customers"), before.get("customers_at_end"), "count")
    add(
        t("本月新增", "New this month"),
        summary.get("new_customers_mtd"),
        before.get("new_customers"),
        "count",
    )
    add(t("活跃客户", "Active"), summary.get("active_customers"), None, "count")
    add(t("风险客户", "At risk"), summary.get("at_risk_customers"), None, "count", False)
    add(
        t("近 90 天流失", "Churned, 90 days"),
        summary.get("churned_customers_90d"),
        None,
        "count",
        False,
    )
    add(
        t("本月流失", "Churned this month"),
        now.get("churned_customers"),
        before.get("churned_customers"),
        "count",
        False,
    )
    add(t("复购率", "Repurchase rate"), summary.get("repurchase_rate"), None, "rate")
    add(t("满意率（近 90 天）", "CSAT, 90 days"), summary.get("csat_rate_90d"), None, "rate")
    add(
        t("首次响应中位数（近 30 天）", "Median first response, 30 days"),
        summary.get("median_first_response_hours_30d"),
        None,
        "hours",
        False,
    )
    add(t("平均终身价值", "Avg lifetime value"), summary.get("avg_lifetime_value"), None, "money")
    return kpis, headline(kpis, ctx.language)


def _lifecycle_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = ctx.rows_or_empty("lifecycle_mix")
    total = sum(int(r["customers"] or 0) for r in rows)
    message = t("还没有客户。", "No customers yet.")
    if total:
        risk = sum(int(r["customers"] or 0) for r in rows if r["lifecycle_status"] == "at_risk")
        message = t(
            f"{total} 个客户中 {risk} 个有流失风险（{risk / total:.1%}）。",
            f"{risk} of {total} customers are at risk ({risk / total:.1%}).",
        )
    return ctx.slide(
        "lifecycle",
        t("客户生命周期状态分布", "Lifecycle status mix"),
        message,
        [ctx.chart(specs["lifecycle_mix"], message)],
    )


def _tier_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = ctx.rows_or_empty("tier_summary")
    message = t("还没有分层客户。", "No tiered customers yet.")
    top = next((r for r in rows if r["tier"] == "A"), None)
    if top and top.get("share_of_value") is not None:
        message = t(
            f"A 类 {ctx.show(top['customers'], 'count')} 个客户贡献终身价值的 "
            f"{ctx.show(top['share_of_value'], 'rate')}。",
            f"{ctx.show(top['customers'], 'count')} tier-A customers hold "
            f"{ctx.show(top['share_of_value'], 'rate')} of lifetime value.",
        )
    return ctx.slide(
        "tiers",
        t("客户分层 A/B/C：数量与价值占比", "Tiers A/B/C: count and value"),
        message,
        [
            ctx.chart(specs["tier_customers"], message),
            ctx.chart(specs["tier_value_share"], message),
        ],
    )


def _ltv_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = ctx.rows_or_empty("ltv_distribution")
    total = sum(int(r["customers"] or 0) for r in rows)
    message = t("还没有在册客户。", "No current customers.")
    if total:
        big = max(rows, key=lambda r: r["customers"])
        message = t(
            f"最多的客户集中在终身价值 {big['band_label']} 万元区间（{big['customers']} 个）。",
            f"Most customers have a lifetime value of {big['band_label']} ×10k CNY "
            f"({big['customers']}).",
        )
    return ctx.slide(
        "ltv",
        t("客户终身价值分布", "Lifetime value distribution"),
        message,
        [ctx.chart(specs["ltv_distribution"], message)],
    )


def _repurchase_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = [
        r for r in ctx.rows_or_empty("repurchase_by_month") if r.get("repurchase_rate") is not None
    ]
    message = t("还没有成交客户，无法计算复购率。", "No buying customer yet: no repurchase rate.")
    if rows:
        message = t(
            f"{month_text(rows[-1]['month'])} 复购率 "
            f"{ctx.show(rows[-1]['repurchase_rate'], 'rate')}。",
            f"Repurchase rate in {month_text(rows[-1]['month'])}: "
            f"{ctx.show(rows[-1]['repurchase_rate'], 'rate')}.",
        )
    return ctx.slide(
        "repurchase",
        t("复购率（按月）", "Repurchase rate by month"),
        message,
        [ctx.chart(specs["repurchase_by_month"], message)],
    )


def _churn_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = ctx.rows_or_empty("churn_by_month")
    churned = sum(int(r.get("churned_customers") or 0) for r in rows)
    message = t(f"近 12 个月流失 {churned} 个客户。", f"{churned} customers churned in 12 months.")
    if not rows:
        message = t("近 12 个月没有客户数据。", "No customer months yet.")
    return ctx.slide(
        "churn",
        t("新增与流失（按月）", "New and churned by month"),
        message,
        [
            ctx.chart(
                specs["churn_by_month"],
                t("近 12 个月没有新增或流失。", "No new or churned customers in 12 months."),
            ),
            ctx.chart(
                specs["churn_rate_by_month"],
                t("近 12 个月没有客户流失。", "No churn in 12 months."),
            ),
        ],
    )


def _cohort_slide(ctx: Context) -> Slide:
    t = ctx.t
    answer = ctx.rows("cohort_retention")
    element: Element
    message = t("还没有客户群组。", "No cohorts yet.")
    if isinstance(answer, Unavailable):
        element = ctx.unavailable(answer)
    elif not answer:
        element = Note(message, "cohort_retention")
    else:
        element = cohort_table(answer, ctx)
        first_month = [
            r
            for r in answer
            if r["months_since_acquisition"] == 1 and r.get("retention_rate") is not None
        ]
        if first_month:
            avg = sum(float(r["retention_rate"]) for r in first_month) / len(first_month)
            message = t(
                f"次月留存平均 {avg:.1%}（按获客月份分组，颜色越深留存越高）。",
                f"Average second-month retention {avg:.1%} (darker = higher).",
            )
        else:
            message = t(
                "各获客月份的留存率（颜色越深留存越高）。",
                "Retention by acquisition month (darker = higher).",
            )
    return ctx.slide(
        "cohorts", t("客户留存（获客月份群组）", "Cohort retention"), message, [element]
    )


def cohort_table(rows: list[Row], ctx: Context) -> Table:
    """Cohorts down, months since acquisition across, retention % in each cell."""
    cohorts = sorted({r["cohort_month"] for r in rows})
    offsets = sorted({int(r["months_since_acquisition"]) for r in rows})
    cell = {(r["cohort_month"], int(r["months_since_acquisition"])): r for r in rows}
    size = {r["cohort_month"]: r.get("cohort_size") for r in rows}
    headers = [t for t in (ctx.t("获客月份", "Cohort"), ctx.t("客户数", "Size"))] + [
        ctx.t(f"第 {k} 月", f"M+{k}") for k in offsets
    ]
    body: list[list[str]] = []
    heat: list[list[float | None]] = []
    for cohort in cohorts:
        values = [number(cell.get((cohort, k), {}).get("retention_rate")) for k in offsets]
        body.append(
            [
                month_text(cohort),
                ctx.show(size[cohort], "count"),
                *[ctx.show(v, "rate") if v is not None else "" for v in values],
            ]
        )
        heat.append([None, None, *values])
    return Table("cohort_retention", headers, body, heat)


def _csat_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = ctx.rows_or_empty("csat_by_month")
    message = t("还没有客户评分。", "No customer ratings yet.")
    if rows:
        last = rows[-1]
        message = t(
            f"{month_text(last['month'])} 满意率 {ctx.show(last['csat_rate'], 'rate')}，"
            f"平均 {ctx.show(last['avg_satisfaction'], 'score')} 分（{last['rated']} 次评分）。",
            f"CSAT in {month_text(last['month'])}: {ctx.show(last['csat_rate'], 'rate')}, "
            f"average {ctx.show(last['avg_satisfaction'], 'score')} ({last['rated']} "
            "ratings).",
        )
    return ctx.slide(
        "csat",
        t("客户满意度", "Customer satisfaction"),
        message,
        [
            ctx.chart(
                specs["csat_by_month"], t("近 12 个月没有评分。", "No ratings in 12 months.")
            ),
            ctx.chart(
                specs["csat_distribution"], t("近 90 天没有评分。", "No ratings in 90 days.")
            ),
        ],
    )


def _service_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = ctx.rows_or_empty("service_by_priority")
    message = t("本月没有服务记录。", "No service requests this month.")
    if rows:
        requests = sum(int(r.get("requests") or 0) for r in rows)
        breaches = sum(int(r.get("sla_breaches") or 0) for r in rows)
        message = t(
            f"本月 {requests} 个服务请求，{breaches} 个超出 SLA（{breaches / requests:.1%}）。"
            if requests
            else message,
            f"{requests} requests this month, {breaches} breached the SLA "
            f"({breaches / requests:.1%})."
            if requests
            else message,
        )
    empty = t("本月没有服务记录。", "No service requests this month.")
    volume = ctx.chart(specs["service_volume"], empty)
    elements: list[Element] = [volume]
    if isinstance(volume, Chart):
        elements += [
            ctx.chart(
                specs["service_times"],
                t("本月还没有响应或解决的请求。", "No request answered or resolved this month."),
            ),
            ctx.table(
                "service_by_priority",
                [
                    Column(t("优先级", "Priority"), "priority", enum="priority"),
                    Column(t("服务量", "Requests"), "requests", "count"),
                    Column(t("超 SLA", "SLA breaches"), "sla_breaches", "count"),
                    Column(t("超 SLA 比例", "Breach rate"), "sla_breach_rate", "rate"),
                ],
                empty,
            ),
        ]
    return ctx.slide(
        "service",
        t("服务量、响应与解决时长（按优先级，本月）", "Service volume and times by priority"),
        message,
        elements,
    )


def _at_risk_slide(ctx: Context) -> Slide:
    t = ctx.t
    rows = ctx.rows_or_empty("at_risk_top")
    message = t("目前没有风险客户。", "No customer is at risk.")
    if rows:
        message = t(
            f"{len(rows)} 个风险客户（按终身价值排序），请负责人跟进。",
            f"{len(rows)} customers at risk (by lifetime value): owners to follow up.",
        )
    return ctx.slide(
        "at_risk",
        t("重点风险客户", "Customers at risk"),
        message,
        [
            ctx.table(
                "at_risk_top",
                [
                    Column(t("客户", "Customer"), "account_name"),
                    Column(t("负责人", "Owner"), "owner"),
                    Column(t("状态", "Status"), "lifecycle_status", enum="lifecycle_status"),
                    Column(t("风险原因", "Reasons"), "reasons", enum="risk_reason"),
                    Column(t("无活动天数", "Days inactive"), "days_since_last_activity", "count"),
                    Column(t("终身价值", "Lifetime value"), "lifetime_value", "money"),
                ],
                message,
            ),
        ],
    )


def build_customer_deck(ctx: Context) -> Deck:
    """The monthly customer deck for D's month."""
    t = ctx.t
    specs = chart_specs(ctx)
    kpis, headline = _kpis(ctx)
    period = ctx.as_of_date.strftime("%Y-%m") if ctx.as_of_date else ""
    as_of = ctx.as_of_date.isoformat() if ctx.as_of_date else "—"
    title = Slide(
        "title",
        t("客户月报", "Monthly customer review"),
        t(f"截至 {as_of}", f"As of {as_of}"),
        kind="title",
        tables=(
            "data_quality.publish_log",
            "data_quality.check_results",
            "data_quality.quarantine",
        ),
        lines=[t(f"统计月份：{period}", f"Month: {period}"), *quality_lines(ctx)],
    )
    has_data = bool(ctx.rows_or_empty("cust_kpi_summary"))
    kpi_element: Element = (
        kpis
        if has_data
        else Note(
            t("服务库中还没有客户数据。", "The serving database has no customer data yet."),
            "cust_kpi_summary",
        )
    )
    kpi_slide = ctx.slide(
        "kpis",
        t("核心指标（对比上月）", "Headline KPIs vs last month"),
        _kpi_message(ctx, kpis, has_data),
        [kpi_element],
    )
    kpi_slide.tables = ("customer_lifecycle.kpi_summary", "customer_lifecycle.customer_monthly")
    slides = [
        title,
        kpi_slide,
        _lifecycle_slide(ctx, specs),
        _tier_slide(ctx, specs),
        _ltv_slide(ctx, specs),
        _repurchase_slide(ctx, specs),
        _churn_slide(ctx, specs),
        _cohort_slide(ctx),
        _csat_slide(ctx, specs),
        _service_slide(ctx, specs),
        _at_risk_slide(ctx),
    ]
    return Deck(
        "customer_deck", title.title, ctx.language, ctx.as_of_date, period, slides, headline
    )


def _kpi_message(ctx: Context, kpis: list[Kpi], has_data: bool) -> str:
    if not has_data:
        return ctx.t("还没有客户数据。", "No customer data yet.")
    customers, new = kpis[0], kpis[1]
    return ctx.t(
        f"在册客户 {customers.value}"
        + (f"（较上月 {customers.delta}）" if customers.delta else "")
        + f"，本月新增 {new.value}，风险客户 {kpis[3].value}。",
        f"{customers.value} customers"
        + (f" ({customers.delta} vs last month)" if customers.delta else "")
        + f", {new.value} new this month, {kpis[3].value} at risk.",
    )
