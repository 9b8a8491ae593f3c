"""商机周报 (weekly opportunity deck) for the sales team's Monday meeting (issue #12 item 4).

One message per slide: headline KPIs against last week, funnel, monthly trend, forecast
and its accuracy, sources, reps and teams, loss reasons, grades, attention items and
recycle candidates. Every number comes from a query in :mod:`delivery.decks.queries`.
"""

from __future__ import annotations

import datetime as dt

from delivery.decks.common import Context, delta_text, headline, quality_lines, trend
from delivery.decks.data import Row, Unavailable
from delivery.decks.model import (
    Category,
    ChartSpec,
    Column,
    Deck,
    Element,
    Kpi,
    Note,
    SeriesSpec,
    Slide,
)


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of ``day``'s ISO week."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def chart_specs(ctx: Context) -> dict[str, ChartSpec]:
    """Every chart of the deck, by id (tests look them up by the shape's name)."""
    t = ctx.t
    no_date = t("未填预计成交日期", "No expected close date")
    specs = [
        ChartSpec(
            "funnel_by_stage",
            "funnel_by_stage",
            "bar",
            Category("stage", "stage"),
            (SeriesSpec(t("到达商机数", "Opportunities reached"), "reached_count", "count"),),
        ),
        ChartSpec(
            "monthly_new",
            "monthly_trend",
            "column",
            Category("month", month=True),
            (
                SeriesSpec(t("新增商机", "New opportunities"), "new_opportunities", "count"),
                SeriesSpec(t("赢单数", "Won"), "won_count", "count"),
            ),
        ),
        ChartSpec(
            "monthly_win_rate",
            "monthly_trend",
            "line",
            Category("month", month=True),
            (
                SeriesSpec(t("赢率（按数量）", "Win rate by count"), "win_rate", "rate"),
                SeriesSpec(t("赢率（按金额）", "Win rate by amount"), "win_rate_by_amount", "rate"),
            ),
        ),
        ChartSpec(
            "forecast_by_month",
            "forecast_by_month",
            "column",
            Category("expected_close_month", month=True, missing=no_date),
            (
                SeriesSpec(t("在手金额", "Open amount"), "open_amount", "money"),
                SeriesSpec(t("加权金额", "Weighted amount"), "weighted_amount", "money"),
            ),
        ),
        ChartSpec(
            "forecast_accuracy",
            "forecast_accuracy",
            "column",
            Category("month", month=True),
            (
                SeriesSpec(
                    t("月初加权预测", "Weighted forecast"), "forecast_weighted_amount", "money"
                ),
                SeriesSpec(t("实际赢单", "Actual won"), "actual_won_amount", "money"),
            ),
        ),
        ChartSpec(
            "source_performance",
            "source_performance",
            "bar",
            Category("source", "source"),
            (
                SeriesSpec(t("商机数", "Leads"), "leads", "count"),
                SeriesSpec(t("赢单数", "Won"), "won_count", "count"),
            ),
        ),
        ChartSpec(
            "rep_leaderboard",
            "rep_leaderboard",
            "bar",
            Category("owner"),
            (
                SeriesSpec(t("本月赢单金额", "Won this month"), "won_amount", "money"),
                SeriesSpec(t("加权管道", "Weighted pipeline"), "weighted_pipeline", "money"),
            ),
        ),
        ChartSpec(
            "loss_reasons_pareto",
            "loss_reasons_pareto",
            "column",
            Category("loss_reason", missing=t("未填写", "Not given")),
            (SeriesSpec(t("输单数", "Lost deals"), "lost_count", "count"),),
        ),
        ChartSpec(
            "grade_mix",
            "grade_mix",
            "stacked",
            Category("grade", "grade"),
            (
                SeriesSpec(t("进行中", "Open"), "open_count", "count"),
                SeriesSpec(t("赢单", "Won"), "won_count", "count"),
                SeriesSpec(t("输单", "Lost"), "lost_count", "count"),
            ),
        ),
        ChartSpec(
            "attention_counts",
            "attention_counts",
            "bar",
            Category("reason", "attention_reason"),
            (SeriesSpec(t("商机数", "Opportunities"), "opportunities", "count"),),
        ),
    ]
    return {spec.chart_id: spec for spec in specs}


def _kpis(ctx: Context) -> tuple[list[Kpi], dict[str, str]]:
    """Headline KPIs with the change against last week (where the marts give one)."""
    t, show = ctx.t, ctx.show
    summary_rows = ctx.rows_or_empty("opp_kpi_summary")
    summary: Row = summary_rows[0] if summary_rows else {}
    weekly = ctx.rows("opp_weekly_kpis")
    this_week: Row = {}
    last_week: Row = {}
    if not isinstance(weekly, Unavailable) and ctx.as_of_date is not None:
        monday = week_of(ctx.as_of_date)[0]
        by_week = {row["week_start"]: row for row in weekly}
        this_week = by_week.get(monday, {})
        last_week = by_week.get(monday - dt.timedelta(days=7), {})
    earlier = ctx.rows_or_empty("opp_pipeline_last_week")
    before: Row = earlier[0] if earlier else {}
    kpis: list[Kpi] = []

    def add(
        name: str,
        now: object,
        then: object,
        unit: str,
        better: bool = True,
        has_previous: bool = True,
    ) -> None:
        delta = delta_text(now, then, unit, ctx.language) if has_previous else None
        kpis.append(Kpi(name, show(now, unit), delta, trend(now, then, better)))

    weekly_ok = bool(this_week)
    add(
        t("在手商机", "Open opportunities"),
        this_week.get("open_count", summary.get("open_count")),
        before.get("open_count"),
        "count",
    )
    add(
        t("在手金额", "Open amount"), summary.get("open_amount"), before.get("open_amount"), "money"
    )
    add(
        t("加权管道", "Weighted pipeline"),
        this_week.get("weighted_pipeline", summary.get("weighted_pipeline")),
        last_week.get("weighted_pipeline", before.get("weighted_amount")),
        "money",
    )
    if weekly_ok:
        add(
            t("本周新增商机", "New this week"),
            this_week.get("new_opportunities"),
            last_week.get("new_opportunities"),
            "count",
        )
        add(
            t("本周赢单数", "Won this week"),
            this_week.get("won_count"),
            last_week.get("won_count"),
            "count",
        )
        add(
            t("本周赢单金额", "Won amount this week"),
            this_week.get("won_amount"),
            last_week.get("won_amount"),
            "money",
        )
        add(
            t("本周赢率（数量）", "Win rate (count)"),
            this_week.get("win_rate"),
            last_week.get("win_rate"),
            "rate",
        )
        add(
            t("本周赢率（金额）", "Win rate (amount)"),
            this_week.get("win_rate_by_amount"),
            last_week.get("win_rate_by_amount"),
            "rate",
        )
        add(
            t("平均成交周期", "Avg sales cycle"),
            this_week.get("avg_sales_cycle_days"),
            last_week.get("avg_sales_cycle_days"),
            "days",
            better=False,
        )
    else:
        add(
            t("本月新增商机", "New this month"),
            summary.get("new_opportunities_mtd"),
            None,
            "count",
            has_previous=False,
        )
        add(
            t("本月赢单金额", "Won amount this month"),
            summary.get("won_amount_mtd"),
            None,
            "money",
            has_previous=False,
        )
        add(
            t("近 90 天赢率", "Win rate, 90 days"),
            summary.get("win_rate_90d"),
            None,
            "rate",
            has_previous=False,
        )
        add(
            t("近 90 天平均成交周期", "Avg sales cycle, 90 days"),
            summary.get("avg_sales_cycle_days_90d"),
            None,
            "days",
            has_previous=False,
        )
    add(t("停滞商机", "Stalled"), summary.get("stalled_count"), None, "count", has_previous=False)
    add(
        t("跟进丢失率", "Follow-up loss rate"),
        summary.get("follow_up_loss_rate"),
        None,
        "rate",
        has_previous=False,
    )
    return kpis, headline(kpis, ctx.language)


def _rows(ctx: Context, key: str) -> list[Row]:
    return ctx.rows_or_empty(key)


def _funnel_message(ctx: Context) -> str:
    rows = _rows(ctx, "funnel_by_stage")
    if len(rows) < 2 or not rows[0].get("reached_count"):
        return ctx.t("漏斗中还没有商机。", "No opportunities in the funnel yet.")
    first, won = rows[0], rows[-1]
    overall = (won.get("reached_count") or 0) / first["reached_count"]
    steps = [r for r in rows[:-1] if r.get("conversion_to_next_rate") is not None]
    worst = min(steps, key=lambda r: r["conversion_to_next_rate"]) if steps else None
    from core.labels import label

    text = ctx.t(f"线索到赢单整体转化 {overall:.1%}", f"Lead-to-won conversion {overall:.1%}")
    if worst is not None:
        name = label("stage", worst["stage"], ctx.language)
        rate = worst["conversion_to_next_rate"]
        text += ctx.t(
            f"；流失最多的一步在「{name}」之后（仅 {rate:.1%} 进入下一阶段）。",
            f"; the weakest step is after {name} ({rate:.1%} move on).",
        )
    return text


def _funnel_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    empty = t("还没有商机进入漏斗。", "No opportunity has entered the funnel yet.")
    elements = ctx.chart_with_table(
        specs["funnel_by_stage"],
        [
            Column(t("阶段", "Stage"), "stage", enum="stage"),
            Column(t("到达数", "Reached"), "reached_count", "count"),
            Column(t("进入下一阶段", "Move on"), "conversion_to_next_rate", "rate"),
        ],
        empty,
        empty,
    )
    return ctx.slide(
        "funnel",
        t("销售漏斗：各阶段到达数与转化率", "Funnel: reached and conversion"),
        _funnel_message(ctx),
        elements,
    )


def _monthly_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = _rows(ctx, "monthly_trend")
    message = t("近 12 个月还没有商机。", "No opportunities in the last 12 months.")
    if rows:
        last = rows[-1]
        message = t(
            f"本月新增 {ctx.show(last.get('new_opportunities'), 'count')} 个商机，"
            f"赢率 {ctx.show(last.get('win_rate'), 'rate')}（按金额 "
            f"{ctx.show(last.get('win_rate_by_amount'), 'rate')}）。",
            f"{ctx.show(last.get('new_opportunities'), 'count')} new opportunities this month; "
            f"win rate {ctx.show(last.get('win_rate'), 'rate')} (by amount "
            f"{ctx.show(last.get('win_rate_by_amount'), 'rate')}).",
        )
    return ctx.slide(
        "monthly_trend",
        t("新增商机与赢率（近 12 个月）", "New opportunities and win rate (12 months)"),
        message,
        [
            ctx.chart(specs["monthly_new"], t("近 12 个月没有新增商机。", "No new opportunities.")),
            ctx.chart(
                specs["monthly_win_rate"],
                t(
                    "近 12 个月没有已关闭的商机，无法计算赢率。",
                    "No deal closed in 12 months: no win rate.",
                ),
            ),
        ],
    )


def _forecast_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = _rows(ctx, "forecast_by_month")
    total = sum(float(r.get("weighted_amount") or 0) for r in rows)
    message = (
        t(
            f"在手商机加权预测合计 {ctx.show(total, 'money')}，按预计成交月份分布如下。",
            f"Weighted forecast of open deals: {ctx.show(total, 'money')}, by expected "
            "close month.",
        )
        if rows
        else t("没有在手商机，暂无预测。", "No open deals: no forecast.")
    )
    return ctx.slide(
        "forecast",
        t("成交预测（按预计成交月份）", "Forecast by expected close month"),
        message,
        [ctx.chart(specs["forecast_by_month"], t("没有在手商机。", "No open deals."))],
    )


def _accuracy_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = [r for r in _rows(ctx, "forecast_accuracy") if r.get("accuracy_pct") is not None]
    message = t("过去月份还没有可评估的预测。", "No past month to assess yet.")
    if rows:
        last = rows[-1]
        message = t(
            f"{last['month']:%Y-%m} 预测准确率 {ctx.show(last['accuracy_pct'], 'rate')}"
            "（1 − |预测 − 实际| ÷ 实际）。",
            f"Forecast accuracy for {last['month']:%Y-%m}: "
            f"{ctx.show(last['accuracy_pct'], 'rate')} (1 − |forecast − actual| ÷ "
            "actual).",
        )
    elements = ctx.chart_with_table(
        specs["forecast_accuracy"],
        [
            Column(t("月份", "Month"), "month", month=True),
            Column(t("预测", "Forecast"), "forecast_weighted_amount", "money"),
            Column(t("实际", "Actual"), "actual_won_amount", "money"),
            Column(t("准确率", "Accuracy"), "accuracy_pct", "rate"),
        ],
        t("过去 12 个月没有预测或赢单。", "No forecast or won deal in past months."),
    )
    return ctx.slide(
        "forecast_accuracy", t("预测准确率（过去月份）", "Forecast accuracy"), message, elements
    )


def _source_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = [r for r in _rows(ctx, "source_performance") if r.get("win_rate") is not None]
    message = t(
        "还没有已关闭的商机，暂无法比较来源赢率。", "No closed deal yet to compare sources."
    )
    if rows:
        from core.labels import label

        best = max(rows, key=lambda r: (r["win_rate"], r.get("won_amount") or 0))
        message = t(
            f"赢率最高的来源是「{label('source', best['source'], 'zh')}」"
            f"（{ctx.show(best['win_rate'], 'rate')}）。",
            f"Best-converting source: {label('source', best['source'], 'en')} "
            f"({ctx.show(best['win_rate'], 'rate')}).",
        )
    empty = t("还没有商机。", "No opportunities yet.")
    elements = ctx.chart_with_table(
        specs["source_performance"],
        [
            Column(t("来源", "Source"), "source", enum="source"),
            Column(t("赢率", "Win rate"), "win_rate", "rate"),
            Column(t("赢单金额", "Won"), "won_amount", "money"),
        ],
        empty,
        empty,
    )
    return ctx.slide("sources", t("来源表现", "Source performance"), message, elements)


def _reps_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = _rows(ctx, "rep_leaderboard")
    message = t("本月还没有销售业绩。", "No results this month yet.")
    if rows and rows[0].get("won_amount"):
        message = t(
            f"本月赢单金额最高：{rows[0]['owner']}（{ctx.show(rows[0]['won_amount'], 'money')}）。",
            f"Top rep this month: {rows[0]['owner']} ({ctx.show(rows[0]['won_amount'], 'money')}).",
        )
    return ctx.slide(
        "reps",
        t("销售排行与团队人均业绩（本月）", "Rep leaderboard and team averages"),
        message,
        [
            ctx.chart(
                specs["rep_leaderboard"],
                t("本月没有销售业绩或在手管道。", "No results or pipeline this month."),
            ),
            ctx.table(
                "team_subtotals",
                [
                    Column(t("团队", "Team"), "team"),
                    Column(t("人数", "Reps"), "reps", "count"),
                    Column(t("赢单金额", "Won"), "won_amount", "money"),
                    Column(t("人均业绩", "Won per rep"), "won_amount_per_rep", "money"),
                    Column(t("赢率", "Win rate"), "win_rate", "rate"),
                ],
                t("本月没有团队业绩。", "No team results this month."),
            ),
        ],
    )


def _loss_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = _rows(ctx, "loss_reasons_pareto")
    message = t("近三个月没有输单。", "No lost deals in the last three months.")
    if rows:
        top = next(
            (i + 1 for i, r in enumerate(rows) if float(r.get("cumulative_share") or 0) >= 0.8),
            len(rows),
        )
        message = t(
            f"近三个月 {top} 个原因占输单的八成以上，"
            f"首要原因：{rows[0]['loss_reason'] or '未填写'}。",
            f"{top} reason(s) explain 80% of losses in three months; first: "
            f"{rows[0]['loss_reason'] or 'not given'}.",
        )
    elements = ctx.chart_with_table(
        specs["loss_reasons_pareto"],
        [
            Column(t("输单原因", "Reason"), "loss_reason"),
            Column(t("输单数", "Lost"), "lost_count", "count"),
            Column(t("金额", "Amount"), "lost_amount", "money"),
            Column(t("累计占比", "Cumulative"), "cumulative_share", "rate"),
        ],
        message,
    )
    return ctx.slide(
        "loss_reasons",
        t("输单原因（帕累托，近三个月）", "Loss reasons (Pareto, 3 months)"),
        message,
        elements,
    )


def _grade_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    rows = [r for r in _rows(ctx, "grade_mix") if r.get("win_rate") is not None]
    message = t("还没有已关闭的商机，暂无法比较各级赢率。", "No closed deal yet to compare grades.")
    if rows:
        parts = "，".join(f"{r['grade'] or '—'} 级 {ctx.show(r['win_rate'], 'rate')}" for r in rows)
        message = t(
            f"各级赢率：{parts}。",
            "Win rate by grade: "
            + ", ".join(f"{r['grade'] or '—'} {ctx.show(r['win_rate'], 'rate')}" for r in rows)
            + ".",
        )
    empty = t("还没有商机。", "No opportunities yet.")
    elements = ctx.chart_with_table(
        specs["grade_mix"],
        [
            Column(t("分级", "Grade"), "grade", enum="grade"),
            Column(t("进行中", "Open"), "open_count", "count"),
            Column(t("赢单", "Won"), "won_count", "count"),
            Column(t("输单", "Lost"), "lost_count", "count"),
            Column(t("赢率", "Win rate"), "win_rate", "rate"),
        ],
        empty,
        empty,
    )
    return ctx.slide(
        "grades",
        t("商机分级 A/B/C：结构与赢率", "Grades A/B/C: mix and win rate"),
        message,
        elements,
    )


def _attention_slide(ctx: Context, specs: dict[str, ChartSpec]) -> Slide:
    t = ctx.t
    counts = _rows(ctx, "attention_counts")
    from core.labels import label

    watched = [r for r in counts if r.get("reason") != "recycle_candidate"]
    sep = "、" if ctx.language == "zh" else ", "
    parts = sep.join(
        f"{label('attention_reason', r['reason'], ctx.language)} {int(r.get('opportunities') or 0)}"
        for r in watched
    )
    message = t(
        f"需要关注：{parts}；按金额列出前几个商机。",
        f"Needing attention: {parts}; largest deals first.",
    )
    if not watched:
        message = t("没有需要关注的商机。", "Nothing needs attention.")
    return ctx.slide(
        "attention",
        t("重点关注商机", "Deals needing attention"),
        message,
        [
            ctx.table(
                "attention_top",
                [
                    Column(t("商机", "Deal"), "lead_id"),
                    Column(t("客户", "Account"), "account_name"),
                    Column(t("负责人", "Owner"), "owner"),
                    Column(t("阶段", "Stage"), "stage", enum="stage"),
                    Column(t("原因", "Reason"), "reasons", enum="attention_reason"),
                    Column(t("天数", "Days"), "days", "count"),
                    Column(t("金额", "Amount"), "amount", "money"),
                ],
                t("没有停滞、逾期或长期未接触的商机。", "No stalled, overdue or untouched deals."),
            ),
            ctx.chart(
                specs["attention_counts"], t("没有需要关注的商机。", "Nothing needs attention.")
            ),
        ],
    )


def _recycle_slide(ctx: Context) -> Slide:
    t = ctx.t
    rows = ctx.rows("recycle_candidates")
    message = t("没有可回收再激活的商机。", "No recycle candidates.")
    if not isinstance(rows, Unavailable) and rows:
        message = t(
            f"{len(rows)} 个商机可回收再激活（长期未接触或可挽回的输单），按金额排序。",
            f"{len(rows)} deals could be recycled (long untouched, or lost for a "
            "recoverable reason); largest first.",
        )
    return ctx.slide(
        "recycle",
        t("可回收再激活的商机", "Recycle candidates"),
        message,
        [
            ctx.table(
                "recycle_candidates",
                [
                    Column(t("商机", "Deal"), "lead_id"),
                    Column(t("客户", "Account"), "account_name"),
                    Column(t("负责人", "Owner"), "owner"),
                    Column(t("阶段", "Stage"), "stage", enum="stage"),
                    Column(t("未接触天数", "Days untouched"), "days_since_last_touch", "count"),
                    Column(t("金额", "Amount"), "amount", "money"),
                    Column(t("输单原因", "Loss reason"), "loss_reason"),
                ],
                message,
            ),
        ],
    )


def build_opportunity_deck(ctx: Context) -> Deck:
    """The weekly opportunity deck for the week of D."""
    t = ctx.t
    specs = chart_specs(ctx)
    kpis, headline = _kpis(ctx)
    period = ""
    if ctx.as_of_date is not None:
        monday, sunday = week_of(ctx.as_of_date)
        period = t(f"{monday:%Y-%m-%d} 至 {sunday:%Y-%m-%d} 当周", f"week {monday} to {sunday}")
    as_of = ctx.as_of_date.isoformat() if ctx.as_of_date else "—"
    title = Slide(
        "title",
        t("商机周报", "Weekly opportunity review"),
        t(f"截至 {as_of}", f"As of {as_of}"),
        kind="title",
        tables=(
            "data_quality.publish_log",
            "data_quality.check_results",
            "data_quality.quarantine",
        ),
        lines=[t(f"统计周期：{period}", f"Period: {period}"), *quality_lines(ctx)],
    )
    kpi_element: Element = (
        kpis
        if ctx.rows_or_empty("opp_kpi_summary")
        else Note(
            t("服务库中还没有商机数据。", "The serving database has no opportunity data yet."),
            "opp_kpi_summary",
        )
    )
    kpi_slide = ctx.slide(
        "kpis",
        t("核心指标（对比上周）", "Headline KPIs vs last week"),
        _kpi_message(ctx, kpis),
        [kpi_element],
    )
    kpi_slide.tables = (
        "opportunity_funnel.kpi_summary",
        "opportunity_funnel.weekly_kpis",
        "opportunity_funnel.pipeline_snapshot",
    )
    slides = [
        title,
        kpi_slide,
        _funnel_slide(ctx, specs),
        _monthly_slide(ctx, specs),
        _forecast_slide(ctx, specs),
        _accuracy_slide(ctx, specs),
        _source_slide(ctx, specs),
        _reps_slide(ctx, specs),
        _loss_slide(ctx, specs),
        _grade_slide(ctx, specs),
        _attention_slide(ctx, specs),
        _recycle_slide(ctx),
    ]
    return Deck(
        "opportunity_deck", title.title, ctx.language, ctx.as_of_date, period, slides, headline
    )


def _kpi_message(ctx: Context, kpis: list[Kpi]) -> str:
    if not kpis or all(k.value == "—" for k in kpis):
        return ctx.t("还没有商机数据。", "No opportunity data yet.")
    by_label = {k.label: k for k in kpis}
    weighted = by_label.get(ctx.t("加权管道", "Weighted pipeline"))
    stalled = by_label.get(ctx.t("停滞商机", "Stalled"))
    text = (
        ctx.t(f"加权管道 {weighted.value}", f"Weighted pipeline {weighted.value}")
        if weighted
        else ""
    )
    if weighted and weighted.delta:
        text += ctx.t(f"（较上周 {weighted.delta}）", f" ({weighted.delta} vs last week)")
    if stalled:
        text += ctx.t(f"；停滞商机 {stalled.value} 个。", f"; {stalled.value} stalled deals.")
    return text
