"""Synthetic CRM landing data: leads (with versions), follow-ups and service records.

The demo and the tests need a landing folder that looks like real CRM exports (Chinese
company and person names, realistic funnel behaviour, messy-but-valid formatting) and that
can be made arbitrarily large without the generator's memory growing with it.

Layout written by :func:`generate`::

    OUT/leads/<YYYY-MM-DD>.<ext>            every version of every lead changed that day
    OUT/follow_ups/<YYYY-MM-DD>.<ext>       follow-ups that occurred that day
    OUT/service_records/<YYYY-MM-DD>.<ext>  service records opened that day

Everything about columns comes from the source contract (``core/contract.yaml``): the
column lists and their order, the Chinese header names (each column's first alias) and the
Chinese enumeration values. The generator only knows the *behaviour* of the business
(how leads move through stages, which sources convert better, ...).

How it scales (streaming): each lead is simulated on its own, from its own random stream
derived from ``(seed, lead number)``, so no lead needs another lead's state. Leads are
simulated in creation order; every row they produce is routed to the day it belongs to and
buffered. When the buffer holds ``spill_batch_rows`` rows it is appended to per-day spill
files in a temporary folder (one file per entity and day, opened one at a time). At the
end each day's spill is read back, sorted by time, and written as the final file. Peak
memory is therefore bounded by the spill batch plus one day's rows of one entity, never by
the number of leads. (At 10 million leads over 90 days one day holds roughly 100 000 leads'
versions, which is a few hundred MB in the worst case; realistic demo sizes are far below.)

Determinism: only ``random.Random`` instances seeded from the options are used (never the
global generator, never the wall clock, never set or hash ordering), and xlsx archives are
rewritten with fixed timestamps, so the same options give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import random
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.contract import Contract, load_contract

ENTITIES: tuple[str, ...] = ("leads", "follow_ups", "service_records")
DEFAULT_SPILL_BATCH_ROWS = 50_000
PROGRESS_EVERY_LEADS = 100_000

Row = dict[str, str | None]
Values = list[str | None]
SortKey = tuple[str, int, int, int]


@dataclass(frozen=True)
class GeneratorOptions:
    """What to generate. The same options (including ``seed``) give identical files."""

    leads: int = 2000
    start: dt.date = dt.date(2026, 1, 1)
    end: dt.date = dt.date(2026, 3, 31)
    seed: int = 42
    headers: Literal["en", "zh"] = "en"
    encoding: Literal["utf-8", "gbk"] = "utf-8"
    format: Literal["csv", "xlsx", "jsonl"] = "csv"
    dirty_rate: float = 0.0


@dataclass
class GenerationSummary:
    """What was written: file count, rows per entity and deliberately dirty rows per entity."""

    out_dir: Path
    files: int
    rows: dict[str, int] = field(default_factory=dict)
    dirty_rows: dict[str, int] = field(default_factory=dict)


# fmt: off
# --------------------------------------------------------------------------------------
# Realism pools. Every string here must encode in GBK (checked by the unit tests), because
# `--encoding gbk` writes them as Chinese Excel does.
# --------------------------------------------------------------------------------------

# city, region, weight
_CITIES: tuple[tuple[str, str, int], ...] = (
    ("上海", "华东", 14), ("杭州", "华东", 7), ("南京", "华东", 5), ("苏州", "华东", 5),
    ("宁波", "华东", 3), ("合肥", "华东", 3), ("济南", "华东", 2), ("青岛", "华东", 3),
    ("厦门", "华东", 2), ("福州", "华东", 2), ("无锡", "华东", 2),
    ("北京", "华北", 12), ("天津", "华北", 3), ("石家庄", "华北", 1), ("太原", "华北", 1),
    ("沈阳", "东北", 2), ("大连", "东北", 2), ("哈尔滨", "东北", 1), ("长春", "东北", 1),
    ("广州", "华南", 8), ("深圳", "华南", 10), ("东莞", "华南", 3), ("佛山", "华南", 3),
    ("南宁", "华南", 1), ("海口", "华南", 1),
    ("武汉", "华中", 4), ("长沙", "华中", 3), ("郑州", "华中", 3), ("南昌", "华中", 1),
    ("成都", "西南", 5), ("重庆", "西南", 4), ("昆明", "西南", 1), ("贵阳", "西南", 1),
    ("西安", "西北", 3), ("兰州", "西北", 1), ("乌鲁木齐", "西北", 1),
)

# characters that make up company brand names, with pinyin for corporate e-mail domains
_BRAND_CHARS: tuple[tuple[str, str], ...] = (
    ("华", "hua"), ("启", "qi"), ("鼎", "ding"), ("恒", "heng"), ("盛", "sheng"),
    ("达", "da"), ("泰", "tai"), ("瑞", "rui"), ("联", "lian"), ("创", "chuang"),
    ("信", "xin"), ("通", "tong"), ("远", "yuan"), ("宏", "hong"), ("新", "xin"),
    ("安", "an"), ("和", "he"), ("丰", "feng"), ("源", "yuan"), ("嘉", "jia"),
    ("德", "de"), ("金", "jin"), ("海", "hai"), ("天", "tian"), ("润", "run"),
    ("汇", "hui"), ("博", "bo"), ("众", "zhong"), ("星", "xing"), ("云", "yun"),
    ("智", "zhi"), ("凯", "kai"), ("宇", "yu"), ("中", "zhong"), ("宝", "bao"),
    ("隆", "long"), ("利", "li"), ("元", "yuan"), ("正", "zheng"), ("诚", "cheng"),
    ("腾", "teng"), ("飞", "fei"), ("越", "yue"), ("佳", "jia"), ("铭", "ming"),
    ("峰", "feng"), ("晟", "sheng"), ("睿", "rui"), ("泽", "ze"), ("航", "hang"),
    ("锦", "jin"), ("弘", "hong"), ("昌", "chang"), ("祥", "xiang"), ("立", "li"),
    ("美", "mei"), ("康", "kang"), ("力", "li"), ("光", "guang"), ("明", "ming"),
)

# company-name industry word, industry column value, weight
_INDUSTRY_WORDS: tuple[tuple[str, str, int], ...] = (
    ("科技", "软件/互联网", 12), ("信息技术", "软件/互联网", 8), ("网络科技", "软件/互联网", 6),
    ("软件", "软件/互联网", 5), ("智能装备", "制造业", 5), ("机械制造", "制造业", 4),
    ("电子", "制造业", 5), ("精密仪器", "制造业", 2), ("医疗器械", "医疗健康", 4),
    ("生物医药", "医疗健康", 3), ("教育科技", "教育", 4), ("教育咨询", "教育", 2),
    ("供应链管理", "物流", 3), ("物流", "物流", 3), ("商贸", "零售/贸易", 4),
    ("贸易", "零售/贸易", 4), ("餐饮管理", "餐饮", 2), ("新能源", "能源", 3),
    ("建筑工程", "建筑/地产", 3), ("置业", "建筑/地产", 2), ("文化传媒", "文化传媒", 3),
    ("投资管理", "金融", 2),
)

_EN_BRANDS: tuple[str, ...] = (
    "Acme", "Northwind", "Bluepeak", "Silverline", "Evergreen", "Brightstar", "Redwood",
    "Summit", "Apex", "Horizon", "Pioneer", "Vertex", "Lumen", "Orion", "Nimbus", "Keystone",
)
# English company noun, industry
_EN_NOUNS: tuple[tuple[str, str], ...] = (
    ("Software", "软件/互联网"), ("Robotics", "制造业"), ("Logistics", "物流"),
    ("Trading", "零售/贸易"), ("Medical", "医疗健康"), ("Foods", "餐饮"), ("Energy", "能源"),
    ("Systems", "软件/互联网"), ("Education", "教育"), ("Media", "文化传媒"),
)
_EN_SUFFIXES: tuple[str, ...] = ("Ltd.", "Co., Ltd.", "Inc.", "Limited", "Group")
_EN_CITIES: tuple[tuple[str, str], ...] = (
    ("上海", "华东"), ("北京", "华北"), ("深圳", "华南"), ("广州", "华南"), ("苏州", "华东"),
)

_SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"),
    ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"),
    ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("许", "xu"),
    ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
    ("曾", "zeng"), ("萧", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("杜", "du"), ("叶", "ye"),
    ("程", "cheng"), ("魏", "wei"), ("欧阳", "ouyang"), ("上官", "shangguan"),
)
_GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("秀英", "xiuying"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"),
    ("桂英", "guiying"), ("建华", "jianhua"), ("志强", "zhiqiang"), ("晓东", "xiaodong"),
    ("海燕", "haiyan"), ("子涵", "zihan"), ("浩然", "haoran"), ("雨萱", "yuxuan"),
    ("思远", "siyuan"), ("佳怡", "jiayi"), ("宇航", "yuhang"), ("欣怡", "xinyi"),
    ("俊杰", "junjie"), ("一鸣", "yiming"), ("文博", "wenbo"), ("晨", "chen"), ("鑫", "xin"),
    ("婷", "ting"), ("慧", "hui"), ("颖", "ying"), ("琳", "lin"), ("峰", "feng"),
    ("斌", "bin"), ("辉", "hui"), ("鹏", "peng"),
)
_TITLES: tuple[str, ...] = ("经理", "总", "工", "主任", "老师")
_EN_GIVEN: tuple[str, ...] = (
    "David", "Emily", "Michael", "Sarah", "Kevin", "Grace", "Jason", "Linda", "Tony", "Amy",
)
_MAIL_DOMAINS: tuple[str, ...] = (
    "qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "aliyun.com", "outlook.com",
)
_MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "158", "159", "166", "176", "177", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "199",
)
# landline area codes (leading zero: must survive Excel and CSV round trips)
_AREA_CODES: tuple[str, ...] = (
    "010", "021", "020", "022", "023", "025", "027", "028", "029",
    "0755", "0571", "0512", "0532", "0574", "0591", "0592", "0731", "0871",
)

_REQUIREMENTS: tuple[str, ...] = (
    "采购CRM系统，约{n}个账号", "ERP系统升级改造", "需要{n}台工业机器人", "定制开发微信小程序",
    "数据中台建设咨询", "年度IT运维外包服务", "采购办公电脑{n}台", "智能仓储管理系统",
    "门店收银系统替换，{n}家门店", "视频会议系统部署", "网络安全等保测评", "业务系统迁移上云",
    "员工培训平台搭建", "供应链协同平台", "生产线自动化改造", "医疗设备采购{n}套",
    "客服中心外包", "营销自动化工具", "财务共享中心系统", "智慧园区解决方案",
)

# sales reps: name, team, skill (multiplies conversion odds: some reps are clearly better)
_REPS: tuple[tuple[str, str, float], ...] = (
    ("张伟", "华东一组", 1.35), ("王芳", "华东一组", 1.0), ("李娜", "华东一组", 0.8),
    ("刘洋", "华东一组", 0.95), ("陈静", "华东一组", 1.15),
    ("黄敏", "华北组", 1.2), ("周杰", "华北组", 0.85), ("吴倩", "华北组", 1.0),
    ("赵磊", "华北组", 0.7),
    ("徐峰", "华南组", 1.1), ("孙丽", "华南组", 0.7), ("马超", "华南组", 1.0),
    ("杨帆", "华南组", 0.9),
    ("朱琳", "KA大客户部", 1.3), ("胡斌", "KA大客户部", 1.05),
)
_REGION_TEAMS: dict[str, tuple[str, ...]] = {
    "华东": ("华东一组",), "华北": ("华北组",), "东北": ("华北组",), "华南": ("华南组",),
    "华中": ("华东一组", "华南组"), "西南": ("华南组", "华北组"), "西北": ("华北组",),
}
_KA_TEAM = "KA大客户部"

_AGENTS: tuple[tuple[str, int], ...] = (
    ("林晓", 16), ("郭婷", 15), ("何佳", 14), ("高鹏", 13), ("罗敏", 12), ("郑凯", 11),
    ("梁雪", 10), ("宋阳", 9),
)

# source key -> (share of leads, conversion multiplier): referral and expo convert better
_SOURCES: dict[str, tuple[int, float]] = {
    "website": (22, 1.0), "expo": (12, 1.3), "phone": (14, 0.85), "referral": (12, 1.55),
    "third_party": (14, 0.9), "advertising": (20, 0.75), "other": (6, 0.9),
}
# open stage key -> (median dwell days, lognormal sigma, P(lost), P(stall)) at q = 1
_STAGE_BEHAVIOUR: dict[str, tuple[float, float, float, float]] = {
    "lead": (1.5, 0.7, 0.12, 0.08),
    "contacted": (5.0, 0.6, 0.15, 0.10),
    "needs_confirmed": (8.0, 0.6, 0.18, 0.08),
    "proposal": (10.0, 0.6, 0.26, 0.07),
    "negotiation": (12.0, 0.6, 0.30, 0.05),
}
_DEFAULT_STAGE_BEHAVIOUR = (7.0, 0.6, 0.2, 0.08)
_LOSS_REASONS_EARLY: tuple[str, ...] = ("无法联系", "需求变更", "无效线索", "预算取消")
_LOSS_REASONS_LATE: tuple[str, ...] = ("价格过高", "选择竞品", "预算取消", "需求变更", "项目搁置")
_URGENCY: dict[str, tuple[int, float]] = {
    "high": (25, 1.15), "medium": (50, 1.0), "low": (25, 0.85),
}
# follow-up channel weights early (lead/contacted) and late (needs_confirmed onwards)
_CHANNELS_EARLY: dict[str, int] = {
    "call": 45, "wechat": 32, "email": 8, "visit": 7, "meeting": 5, "other": 3,
}
_CHANNELS_LATE: dict[str, int] = {
    "call": 25, "wechat": 28, "email": 12, "visit": 18, "meeting": 15, "other": 2,
}
_SERVICE_TYPES: dict[str, int] = {
    "consultation": 36, "return_visit": 16, "repair": 16, "complaint": 13, "renewal": 8,
    "other": 7, "cancellation": 4,
}
_PRIORITIES_URGENT: dict[str, int] = {"urgent": 20, "high": 38, "medium": 32, "low": 10}
_PRIORITIES_NORMAL: dict[str, int] = {"urgent": 3, "high": 12, "medium": 55, "low": 30}
_SATISFACTION_NORMAL: tuple[int, ...] = (3, 5, 12, 35, 45)  # weights of 1..5
_SATISFACTION_COMPLAINT: tuple[int, ...] = (15, 20, 25, 25, 15)

_FOLLOW_UP_NOTES: tuple[str, ...] = (
    "电话沟通项目进展，客户反馈正在内部评估", "微信发送产品资料，客户已读",
    "上门拜访，交流需求细节", "客户询问报价细节，约定下周再沟通", "发送方案PPT，待客户内部讨论",
    "客户出差，约下周回访",
    "跟进合同条款，法务审核中", "客户要求演示系统功能", "对接技术负责人，确认部署环境",
    "节前问候，维护客户关系", "客户在比较两家供应商", "邀请客户参加线下沙龙",
)
_STAGE_NOTES: dict[str, str] = {
    "contacted": "首次沟通，客户有{req}的需求",
    "needs_confirmed": "需求调研完成，预算约{budget}万",
    "proposal": "已提交方案与报价",
    "negotiation": "进入商务谈判，客户希望价格再优惠",
    "won": "合同已签署，安排实施与回款",
    "lost": "{reason}，商机关闭",
}
_SERVICE_NOTES: dict[str, tuple[str, ...]] = {
    "consultation": ("咨询系统使用问题", "咨询账号权限配置", "询问发票开具"),
    "complaint": ("投诉响应速度慢", "投诉实施人员沟通不畅", "对账单有疑问，要求解释"),
    "repair": ("设备故障报修", "系统登录异常", "打印模块报错"),
    "return_visit": ("上线后例行回访", "季度回访，客户整体满意"),
    "renewal": ("续签年度服务合同", "增购账号"),
    "cancellation": ("客户决定不再续约", "因预算收缩解约"),
    "other": ("其他事项",),
}

# deliberately invalid values used by the dirty-row faults
_BAD_STAGE = "待定"
_BAD_CHANNEL = "飞鸽"
_BAD_SERVICE_TYPE = "售后"
_BAD_TIMESTAMPS: tuple[str, ...] = (
    "2026-02-30 10:00:00", "下周一", "31/31/2026", "2026-13-01 09:00",
)
_BAD_SATISFACTION = "7"

# hour-of-day weights for business activity (8:00 .. 21:59)
_HOURS: tuple[int, ...] = tuple(range(8, 22))
_HOUR_WEIGHTS: tuple[int, ...] = (2, 8, 12, 11, 5, 7, 11, 12, 11, 8, 4, 2, 1, 1)

_ALL_POOLS: tuple[tuple[str, ...], ...] = (
    tuple(c for c, _, _ in _CITIES), tuple(c for c, _ in _BRAND_CHARS),
    tuple(w for w, _, _ in _INDUSTRY_WORDS), tuple(i for _, i, _ in _INDUSTRY_WORDS),
    tuple(s for s, _ in _SURNAMES), tuple(g for g, _ in _GIVEN_NAMES), _TITLES,
    _REQUIREMENTS, tuple(r for r, _, _ in _REPS), tuple(t for _, t, _ in _REPS),
    tuple(a for a, _ in _AGENTS), _LOSS_REASONS_EARLY, _LOSS_REASONS_LATE, _FOLLOW_UP_NOTES,
    tuple(_STAGE_NOTES.values()), tuple(n for ns in _SERVICE_NOTES.values() for n in ns),
    (_BAD_STAGE, _BAD_CHANNEL, _BAD_SERVICE_TYPE), _BAD_TIMESTAMPS,
)

# fmt: on


# Share of leads that come from a company an earlier lead already brought.
REPEAT_BUSINESS_SHARE = 0.2


def generation_strings() -> list[str]:
    """Every fixed string the generator can emit (for the GBK-encodability test)."""
    return [s for pool in _ALL_POOLS for s in pool]


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


class _Picker:
    """Weighted choice with precomputed cumulative weights (fast in the hot loop)."""

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cum.append(total)

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.items, cum_weights=self.cum)[0]


def _picker(table: dict[str, int] | dict[str, tuple[int, float]]) -> _Picker:
    weights = [v[0] if isinstance(v, tuple) else v for v in table.values()]
    return _Picker(list(table), weights)


def _round_money(value: float) -> int:
    """Round an amount the way people state budgets (to 1k, 5k or 10k)."""
    if value < 100_000:
        step = 1_000
    elif value < 1_000_000:
        step = 5_000
    else:
        step = 10_000
    return max(step, int(round(value / step)) * step)


def _fullwidth(text: str) -> str:
    """ASCII letters, digits and spaces to their full-width forms (NFKC maps them back)."""
    out = []
    for ch in text:
        if ch == " ":
            out.append("\u3000")
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def _name_variant(rng: random.Random, name: str) -> str:
    """The account name as a service desk might type it: same key after normalisation.

    Variants differ only in what ``account_key`` normalisation removes (NFKC, trimming,
    inner whitespace, Latin case), so the marts must join them to the lead's account.
    """
    if rng.random() >= 0.2:
        return name
    has_latin = any("a" <= c.lower() <= "z" for c in name)
    kind = rng.randrange(4)
    if kind == 0 and has_latin:
        return _fullwidth(name) + rng.choice(("", " "))
    if kind == 1 and has_latin:
        return name.lower() if name != name.lower() else name.upper()
    if kind == 2 and " " in name:
        return name.replace(" ", "  ", 1)
    return rng.choice((name + " ", " " + name, "\u3000" + name))


def _account_id(name: str) -> str | None:
    """A CRM customer id for about 30% of companies, stable per company name."""
    digest = zlib.crc32(name.encode("utf-8"))
    if digest % 10 >= 3:
        return None
    return f"CUS-{digest % 100_000_000:08d}"


# --------------------------------------------------------------------------------------
# Presentation: how canonical values are written (contract aliases, formats, encodings)
# --------------------------------------------------------------------------------------


class _Presenter:
    """Turns canonical values into strings the way a CRM export (en or zh) writes them."""

    def __init__(self, contract: Contract, options: GeneratorOptions) -> None:
        self.zh = options.headers == "zh"
        # U+00A5 is not in GBK: Chinese Excel writes the full-width sign (NFKC maps it back)
        self.yen = "￥" if options.encoding == "gbk" else "¥"
        self.aliases: dict[str, dict[str, tuple[str, ...]]] = {
            name: {v.key: (v.aliases or (v.label_zh,)) for v in enum.values}
            for name, enum in contract.enums.items()
        }

    def ts(self, rng: random.Random, value: dt.datetime) -> str:
        if self.zh:
            r = rng.random()
            if r < 0.25:
                clock = f"{value.hour:02d}:{value.minute:02d}"
                if r < 0.15:
                    return f"{value.year}/{value.month}/{value.day} {clock}"
                return f"{value.year}年{value.month}月{value.day}日 {clock}"
        return value.isoformat(" ")  # 2026-03-31 14:05:00 (times carry no seconds)

    @staticmethod
    def date(value: dt.date) -> str:
        return value.isoformat()

    def money(self, rng: random.Random, value: int) -> str:
        r = rng.random()
        if not self.zh:
            return f"{value}.00" if r < 0.15 else str(value)
        if r < 0.55:
            return str(value)
        if r < 0.72:
            return f"{value:,.2f}"
        if r < 0.84:
            return f"{self.yen}{value:,}"
        if value % 100 == 0:
            wan = f"{value / 10_000:.4f}".rstrip("0").rstrip(".")
            return f"{wan}万"
        return str(value)

    def enum(self, rng: random.Random, enum_name: str, key: str) -> str:
        if self.zh and rng.random() < 0.7:
            return rng.choice(self.aliases[enum_name][key])
        return key

    def boolean(self, value: bool) -> str:
        if self.zh:
            return "是" if value else "否"
        return "true" if value else "false"


# --------------------------------------------------------------------------------------
# Spill: route rows by (entity, day) to temporary files in bounded batches
# --------------------------------------------------------------------------------------


class _Spool:
    """Buffers rows per (entity, day) and appends them to per-day spill files in batches.

    Memory holds at most ``batch_rows`` buffered rows; :meth:`read_day` later returns one
    day's rows for one entity, sorted by their unique sort key, so the final file's order
    does not depend on how rows were batched.
    """

    def __init__(self, folder: Path, batch_rows: int) -> None:
        self.folder = folder
        self.batch_rows = max(1, batch_rows)
        self.buffers: dict[tuple[str, int], list[str]] = {}
        self.buffered = 0
        for entity in ENTITIES:
            (folder / entity).mkdir(parents=True, exist_ok=True)

    def _path(self, entity: str, day: int) -> Path:
        return self.folder / entity / f"{day:06d}.jsonl"

    def add(self, entity: str, day: int, key: SortKey, values: Values) -> None:
        line = json.dumps([list(key), values], ensure_ascii=False, separators=(",", ":"))
        self.buffers.setdefault((entity, day), []).append(line)
        self.buffered += 1
        if self.buffered >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        for entity, day in sorted(self.buffers):
            lines = self.buffers[(entity, day)]
            with open(self._path(entity, day), "a", encoding="utf-8") as handle:
                handle.write("\n".join(lines))
                handle.write("\n")
        self.buffers.clear()
        self.buffered = 0

    def read_day(self, entity: str, day: int) -> list[Values]:
        path = self._path(entity, day)
        if not path.exists():
            return []
        rows: list[tuple[SortKey, Values]] = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, values = json.loads(line)
                rows.append(((key[0], key[1], key[2], key[3]), values))
        rows.sort(key=lambda item: item[0])
        return [values for _, values in rows]


# --------------------------------------------------------------------------------------
# Output writers
# --------------------------------------------------------------------------------------


def _write_csv(path: Path, header: list[str], rows: list[Values], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def _write_jsonl(path: Path, header: list[str], rows: list[Values], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False))
            handle.write("\n")


_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _write_xlsx(
    path: Path, title: str, header: list[str], rows: list[Values], stamp: dt.datetime
) -> None:
    """Write-only workbook, every cell a string, then re-zipped with fixed timestamps.

    openpyxl stamps the archive members with the wall clock; rewriting the zip with a
    fixed member time and fixed document properties makes the file byte-deterministic.
    The rewrite also adds the ``<dimension>`` element Excel writes (openpyxl's streaming
    writer cannot know it up front), so readers pad rows whose trailing cells are empty.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.functions import tostring

    workbook = Workbook(write_only=True)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "crm-pipeline generate"
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    raw = path.with_name(path.name + ".raw")
    workbook.save(raw)
    try:
        with (
            zipfile.ZipFile(raw) as source,
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            for info in source.infolist():
                member = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
                member.compress_type = zipfile.ZIP_DEFLATED
                member.external_attr = 0o644 << 16
                if info.filename == "docProps/core.xml":
                    # save() stamps `modified` with the wall clock: write the fixed one
                    workbook.properties.modified = stamp
                    target.writestr(member, tostring(workbook.properties.to_tree()))
                    continue
                with source.open(info) as src, target.open(member, "w") as dst:
                    if info.filename.startswith("xl/worksheets/sheet"):
                        head = src.read(1 << 16)
                        ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
                        dst.write(
                            head.replace(
                                b"<sheetViews>",
                                f'<dimension ref="{ref}" /><sheetViews>'.encode(),
                                1,
                            )
                        )
                    shutil.copyfileobj(src, dst, 1 << 20)
    finally:
        raw.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------


@dataclass
class _Lead:
    """A lead's mutable state while it is simulated (canonical, unformatted values)."""

    index: int
    lead_id: str
    created_at: dt.datetime
    source: str
    account_name: str
    account_id: str | None
    contact_name: str
    contact_phone: str | None
    contact_email: str | None
    requirement: str
    budget: int
    currency: str | None
    owner: str
    team: str
    show_team: bool
    stage: str
    quality: float
    has_probability: bool
    has_amount: bool
    urgency: str | None
    industry: str | None
    region: str | None
    amount: int | None = None
    probability: int | None = None
    expected_close_date: dt.date | None = None
    closed_at: dt.datetime | None = None
    loss_reason: str | None = None
    decision_maker_reached: bool | None = None
    versions: int = 0
    follow_ups: int = 0
    services: int = 0


class _Simulator:
    """Simulates leads, their follow-ups and customers' service records into a spool."""

    def __init__(self, contract: Contract, options: GeneratorOptions, spool: _Spool) -> None:
        self.contract = contract
        self.options = options
        self.spool = spool
        self.present = _Presenter(contract, options)
        self.columns = {e: contract.entity(e).column_names for e in ENTITIES}
        self.start = options.start
        self.end_dt = dt.datetime.combine(options.end, dt.time(23, 59))
        self.rows = dict.fromkeys(ENTITIES, 0)
        self.dirty = dict.fromkeys(ENTITIES, 0)
        self.customer_services = 0

        stage_enum = contract.enums["stage"]
        self.open_stages = [v.key for v in stage_enum.values if not v.terminal]
        terminals = [v for v in stage_enum.values if v.terminal]
        self.won = max(terminals, key=lambda v: v.probability or 0).key
        self.lost = min(terminals, key=lambda v: v.probability or 0).key
        self.stage_probability = {v.key: int(v.probability or 0) for v in stage_enum.values}
        self._check_contract()

        self.cities = _Picker([c for c, _, _ in _CITIES], [w for _, _, w in _CITIES])
        self.city_region = {c: r for c, r, _ in _CITIES}
        self.industry_words = _Picker(
            [w for w, _, _ in _INDUSTRY_WORDS], [n for _, _, n in _INDUSTRY_WORDS]
        )
        self.industry_of = {w: i for w, i, _ in _INDUSTRY_WORDS}
        self.sources = _picker(_SOURCES)
        self.urgencies = _picker(_URGENCY)
        self.channels_early = _picker(_CHANNELS_EARLY)
        self.channels_late = _picker(_CHANNELS_LATE)
        self.service_types = _picker(_SERVICE_TYPES)
        self.priorities_urgent = _picker(_PRIORITIES_URGENT)
        self.priorities_normal = _picker(_PRIORITIES_NORMAL)
        self.agents = _Picker([a for a, _ in _AGENTS], [w for _, w in _AGENTS])
        self.team_reps: dict[str, list[tuple[str, float]]] = {}
        for name, team, skill in _REPS:
            self.team_reps.setdefault(team, []).append((name, skill))

    def _check_contract(self) -> None:
        """Fail early if the contract lost an enumeration key the business model uses."""
        used = {
            "source": list(_SOURCES),
            "channel": list(_CHANNELS_EARLY),
            "service_type": list(_SERVICE_TYPES),
            "priority": list(_PRIORITIES_NORMAL),
            "urgency": list(_URGENCY),
        }
        for enum_name, keys in used.items():
            known = self.contract.enums[enum_name].keys
            missing = [k for k in keys if k not in known]
            if missing:
                raise ValueError(f"contract enum {enum_name!r} lacks keys {missing}")
        if self.won == self.lost or not self.open_stages:
            raise ValueError("contract stage enum needs open stages and won/lost terminals")

    # ---- time helpers ---------------------------------------------------------------

    @staticmethod
    def _work_time(rng: random.Random, day: dt.date) -> dt.datetime:
        hour = rng.choices(_HOURS, weights=_HOUR_WEIGHTS)[0]
        return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60))

    def _days_after(self, rng: random.Random, t: dt.datetime, days: float) -> dt.datetime:
        """A business-like time about ``days`` after ``t`` (weekends mostly skipped)."""
        if days < 0.5:
            return t + dt.timedelta(minutes=rng.randint(30, 300))
        day = t.date() + dt.timedelta(days=max(1, round(days)))
        if day.weekday() >= 5 and rng.random() < 0.8:
            day += dt.timedelta(days=7 - day.weekday())
        return self._work_time(rng, day)

    @staticmethod
    def _minutes_after(rng: random.Random, t: dt.datetime, lo: int, hi: int) -> dt.datetime:
        return t + dt.timedelta(minutes=rng.randint(lo, hi))

    # ---- routing ----------------------------------------------------------------------

    def _emit(self, entity: str, when: dt.datetime, key: SortKey, row: Row) -> None:
        values = [row.pop(c, None) for c in self.columns[entity]]
        if row:
            raise ValueError(f"generator wrote {entity} columns not in the contract: {sorted(row)}")
        self.spool.add(entity, (when.date() - self.start).days, key, values)
        self.rows[entity] += 1

    # ---- leads ------------------------------------------------------------------------

    def lead_counts(self) -> list[int]:
        """Leads created per day: weekdays busier, a peak in the middle of the period."""
        days = (self.options.end - self.start).days + 1
        weights = []
        for d in range(days):
            day = self.start + dt.timedelta(days=d)
            weekday = (1.0, 1.1, 1.1, 1.05, 0.95, 0.35, 0.25)[day.weekday()]
            t = (d + 0.5) / days
            peak = 1.0 + 0.6 * math.exp(-(((t - 0.5) / 0.12) ** 2))
            weights.append(weekday * peak)
        total = sum(weights)
        exact = [self.options.leads * w / total for w in weights]
        counts = [int(x) for x in exact]
        short = self.options.leads - sum(counts)
        order = sorted(range(days), key=lambda d: (-(exact[d] - counts[d]), d))
        for d in order[:short]:
            counts[d] += 1
        return counts

    def _account_index(self, index: int) -> int:
        """Which company lead ``index`` comes from: its own, or an earlier lead's.

        About one lead in five is repeat business from a company an earlier lead (within
        the previous 3,000) already brought, so some customers buy again (repurchase
        rate, repeat buyers). Decided per lead from the seed alone, so the data streams.
        """
        k = index
        while k >= 20:
            pick = random.Random(f"{self.options.seed}/repeat/{k}")
            if pick.random() >= REPEAT_BUSINESS_SHARE:
                break
            k = pick.randrange(max(0, k - 3000), k)
        return k

    def _new_lead(self, rng: random.Random, index: int, day: dt.date) -> _Lead:
        # the company's identity comes from its own stream, shared by its repeat leads
        arng = random.Random(f"{self.options.seed}/account/{self._account_index(index)}")
        r = arng.random()
        if r < 0.10:  # English company
            brand = arng.choice(_EN_BRANDS)
            noun, industry = arng.choice(_EN_NOUNS)
            account = f"{brand} {noun} {arng.choice(_EN_SUFFIXES)}"
            city, region = arng.choice(_EN_CITIES)
            domain = f"{brand.lower()}{noun.lower()}.com"
        else:
            city = self.cities.pick(arng)
            region = self.city_region[city]
            word = self.industry_words.pick(arng)
            industry = self.industry_of[word]
            (c1, p1), (c2, p2) = arng.sample(_BRAND_CHARS, 2)
            brand = c1 + c2
            domain = f"{p1}{p2}.com.cn"
            form = arng.random()
            if r < 0.15:  # Latin abbreviation, e.g. ABC科技
                brand = "".join(chr(65 + arng.randrange(26)) for _ in range(3))
                domain = f"{brand.lower()}.com.cn"
                account = f"{brand}{word}"
            elif form < 0.80:
                account = f"{city}{brand}{word}有限公司"
            elif form < 0.90:
                account = f"{city}{brand}{word}股份有限公司"
            else:
                account = f"{brand}{word}（{city}）有限公司"
        source = self.sources.pick(rng)
        urgency = self.urgencies.pick(rng) if rng.random() < 0.85 else None

        budget = _round_money(min(5e7, max(1e4, rng.lognormvariate(math.log(300_000), 0.95))))
        teams = _REGION_TEAMS.get(region, ("华东一组",))
        team = rng.choice(teams)
        if budget >= 1_000_000 and rng.random() < 0.6:
            team = _KA_TEAM
        owner, skill = rng.choice(self.team_reps[team])

        surname, surname_py = rng.choice(_SURNAMES)
        given, given_py = rng.choice(_GIVEN_NAMES)
        if r < 0.10 and rng.random() < 0.5:
            english = rng.choice(_EN_GIVEN)
            contact = f"{english} {surname_py.capitalize()}"
            handle = f"{english.lower()}.{surname_py}"
        elif rng.random() < 0.1:
            contact = surname + rng.choice(_TITLES)
            handle = f"{surname_py}{rng.randrange(1, 99)}"
        else:
            contact = surname + given
            handle = f"{given_py}.{surname_py}"
        email: str | None = None
        m = rng.random()
        if m < 0.35:
            email = f"{handle}@{domain}"
        elif m < 0.55:
            email = f"{handle.replace('.', '')}{rng.randrange(1, 999)}@{rng.choice(_MAIL_DOMAINS)}"
        elif m < 0.70:
            email = f"{rng.randrange(10_000_000, 3_000_000_000)}@qq.com"
        phone = self._phone(rng) if rng.random() < 0.88 else None

        requirement = rng.choice(_REQUIREMENTS).format(n=rng.choice((5, 10, 20, 30, 50, 100, 200)))
        urgency_factor = _URGENCY[urgency][1] if urgency else 1.0
        quality = skill * _SOURCES[source][1] * urgency_factor * rng.lognormvariate(0.0, 0.25)
        created = self._work_time(rng, day)
        lead = _Lead(
            index=index,
            lead_id=f"OPP-{index + 1:08d}",
            created_at=created,
            source=source,
            account_name=account,
            account_id=_account_id(account),
            contact_name=contact,
            contact_phone=phone,
            contact_email=email,
            requirement=requirement,
            budget=budget,
            currency="CNY" if rng.random() < 0.7 else None,
            owner=owner,
            team=team,
            show_team=rng.random() < 0.9,
            stage=self.open_stages[0],
            quality=quality,
            has_probability=rng.random() < 0.55,
            has_amount=rng.random() < 0.6,
            urgency=urgency,
            industry=industry if rng.random() < 0.9 else None,
            region=region if rng.random() < 0.9 else None,
        )
        # referrals and expo contacts are sometimes entered already contacted
        if source in ("referral", "expo") and len(self.open_stages) > 1 and rng.random() < 0.25:
            lead.stage = self.open_stages[1]
        if rng.random() < 0.7:
            lead.expected_close_date = created.date() + dt.timedelta(days=rng.randint(30, 120))
        if rng.random() < 0.8:
            lead.decision_maker_reached = False
        if lead.has_probability:
            lead.probability = self.stage_probability[lead.stage]
        return lead

    @staticmethod
    def _phone(rng: random.Random) -> str:
        if rng.random() < 0.12:
            area = rng.choice(_AREA_CODES)
            digits = 8 if len(area) == 3 else rng.choice((7, 8))
            return f"{area}-{rng.randrange(2 * 10 ** (digits - 1), 10**digits)}"
        return f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"

    def simulate_lead(self, index: int, day: dt.date) -> None:
        """One lead's whole life from creation to the end of the period (or its close)."""
        seed = self.options.seed
        rng = random.Random(f"{seed}/lead/{index}")
        fmt = random.Random(rng.getrandbits(64))
        dirt = random.Random(rng.getrandbits(64))
        lead = self._new_lead(rng, index, day)
        t = lead.created_at
        self._version(lead, t, fmt, dirt)

        while lead.stage in self.open_stages:
            pos = self.open_stages.index(lead.stage)
            median, sigma, p_lost, p_stall = _STAGE_BEHAVIOUR.get(
                lead.stage, _DEFAULT_STAGE_BEHAVIOUR
            )
            dm_factor = 1.25 if lead.decision_maker_reached else 1.0
            p_lost = min(0.85, p_lost / (lead.quality * dm_factor))
            r = rng.random()
            outcome = "lost" if r < p_lost else "stall" if r < p_lost + p_stall else "advance"
            change = self._days_after(rng, t, rng.lognormvariate(math.log(median), sigma))

            if outcome == "stall":
                # a few more touches, then nobody follows up any more: the lead goes stale
                for _ in range(rng.randint(0, 2)):
                    t = self._days_after(rng, t, rng.lognormvariate(math.log(5), 0.5))
                    if t > self.end_dt:
                        return
                    t = self._follow_up(lead, t, None, rng, fmt, dirt)
                return

            # ordinary follow-ups while the lead sits in this stage
            while True:
                nxt = self._days_after(rng, t, rng.lognormvariate(math.log(3.5), 0.5))
                if nxt >= change or nxt > self.end_dt:
                    break
                t = self._follow_up(lead, nxt, None, rng, fmt, dirt)
                if rng.random() < 0.15:
                    t = self._minor_update(lead, t, rng, fmt, dirt)
            if change <= t:
                change = self._minutes_after(rng, t, 30, 240)
            if change > self.end_dt:
                return

            if outcome == "lost":
                new_stage = self.lost
                early = pos < 2
                lead.loss_reason = rng.choice(_LOSS_REASONS_EARLY if early else _LOSS_REASONS_LATE)
            else:
                step = 2 if rng.random() < 0.05 else 1
                nxt_pos = pos + step
                new_stage = (
                    self.open_stages[nxt_pos] if nxt_pos < len(self.open_stages) else self.won
                )
            version_at = self._minutes_after(rng, change, 5, 90)
            if version_at > self.end_dt:
                return
            if rng.random() < 0.92:
                self._follow_up(lead, change, new_stage, rng, fmt, dirt)
            self._enter_stage(lead, new_stage, change, rng)
            t = self._version(lead, version_at, fmt, dirt)

        if lead.stage == self.won:
            self._customer_services(lead, rng, fmt, dirt)

    def _enter_stage(self, lead: _Lead, stage: str, when: dt.datetime, rng: random.Random) -> None:
        """Apply a stage change and the field updates that usually come with it."""
        lead.stage = stage
        pos = self.open_stages.index(stage) if stage in self.open_stages else None
        if stage == self.won:
            lead.closed_at = when
            lead.decision_maker_reached = rng.random() < 0.9 or bool(lead.decision_maker_reached)
            if rng.random() < 0.9:
                lead.amount = _round_money(lead.budget * rng.uniform(0.75, 1.15))
            if lead.has_probability:
                lead.probability = 100
            return
        if stage == self.lost:
            lead.closed_at = when
            if lead.has_probability:
                lead.probability = 0
            return
        if lead.has_probability:
            base = self.stage_probability[stage]
            lead.probability = max(1, min(99, base + rng.randint(-10, 10)))
        reach = min(0.9, 0.45 * lead.quality)
        if pos is not None and pos >= 2 and not lead.decision_maker_reached:
            lead.decision_maker_reached = rng.random() < reach
        if pos is not None and pos >= 3 and lead.has_amount and lead.amount is None:
            lead.amount = _round_money(lead.budget * rng.uniform(0.7, 1.3))
        if pos is not None and pos == len(self.open_stages) - 1 and rng.random() < 0.5:
            lead.expected_close_date = when.date() + dt.timedelta(days=rng.randint(7, 30))

    def _minor_update(
        self,
        lead: _Lead,
        t: dt.datetime,
        rng: random.Random,
        fmt: random.Random,
        dirt: random.Random,
    ) -> dt.datetime:
        """A change without a stage move (probability, close date, phone): a new version."""
        when = self._minutes_after(rng, t, 5, 60)
        if when > self.end_dt:
            return t
        kind = rng.randrange(4)
        if kind == 0 and lead.has_probability and lead.probability is not None:
            lead.probability = max(1, min(99, lead.probability + rng.choice((-10, -5, 5, 10))))
        elif kind == 1 and lead.expected_close_date is not None:
            lead.expected_close_date += dt.timedelta(days=rng.randint(7, 30))
        elif kind == 2:
            lead.contact_phone = self._phone(rng)
        else:
            lead.decision_maker_reached = True
        return self._version(lead, when, fmt, dirt)

    def _version(
        self, lead: _Lead, when: dt.datetime, fmt: random.Random, dirt: random.Random
    ) -> dt.datetime:
        """Write the lead's current state as a new version row (updated_at = ``when``)."""
        p = self.present
        row: Row = {
            "lead_id": lead.lead_id,
            "created_at": p.ts(fmt, lead.created_at),
            "updated_at": p.ts(fmt, when),
            "source": p.enum(fmt, "source", lead.source),
            "account_name": lead.account_name,
            "account_id": lead.account_id,
            "contact_name": lead.contact_name,
            "contact_phone": lead.contact_phone,
            "contact_email": lead.contact_email,
            "requirement": lead.requirement,
            "budget": p.money(fmt, lead.budget),
            "amount": None if lead.amount is None else p.money(fmt, lead.amount),
            "currency": lead.currency,
            "owner": lead.owner,
            "team": lead.team if lead.show_team else None,
            "stage": p.enum(fmt, "stage", lead.stage),
            "probability": None if lead.probability is None else str(lead.probability),
            "expected_close_date": (
                None if lead.expected_close_date is None else p.date(lead.expected_close_date)
            ),
            "closed_at": None if lead.closed_at is None else p.ts(fmt, lead.closed_at),
            "loss_reason": lead.loss_reason,
            "urgency": None if lead.urgency is None else p.enum(fmt, "urgency", lead.urgency),
            "decision_maker_reached": (
                None
                if lead.decision_maker_reached is None
                else p.boolean(lead.decision_maker_reached)
            ),
            "industry": lead.industry,
            "region": lead.region,
        }
        if self.options.dirty_rate > 0 and dirt.random() < self.options.dirty_rate:
            self._dirty_lead(row, lead, dirt)
            self.dirty["leads"] += 1
        lead.versions += 1
        self._emit("leads", when, (when.isoformat(" "), 0, lead.index, lead.versions), row)
        return when

    def _follow_up(
        self,
        lead: _Lead,
        when: dt.datetime,
        new_stage: str | None,
        rng: random.Random,
        fmt: random.Random,
        dirt: random.Random,
    ) -> dt.datetime:
        """One follow-up activity; ``new_stage`` set when it moved the lead's stage."""
        p = self.present
        lead.follow_ups += 1
        stage_for_channel = new_stage or lead.stage
        early = stage_for_channel in self.open_stages[:2]
        channel = (self.channels_early if early else self.channels_late).pick(rng)
        if new_stage is not None:
            note = _STAGE_NOTES.get(new_stage, "阶段推进").format(
                req=lead.requirement, budget=lead.budget // 10_000, reason=lead.loss_reason
            )
            stage_after: str | None = p.enum(fmt, "stage", new_stage)
        else:
            note = rng.choice(_FOLLOW_UP_NOTES)
            stage_after = p.enum(fmt, "stage", lead.stage) if rng.random() < 0.45 else None
        pii = rng.random()
        if pii < 0.08:
            note += f"，客户新手机号{self._phone(rng)}"
        elif pii < 0.11 and lead.contact_email:
            note += f"，资料发至{lead.contact_email}"
        terminal = new_stage in (self.won, self.lost)
        next_at = None
        if not terminal and rng.random() < 0.8:
            next_at = p.ts(fmt, self._days_after(rng, when, rng.uniform(1, 7)))
        owner = lead.owner
        if rng.random() < 0.08:
            owner = rng.choice(self.team_reps[lead.team])[0]
        updated = None
        if rng.random() < 0.5:
            stamp = self._minutes_after(rng, when, 0, 30)
            if stamp.date() == when.date() and stamp <= self.end_dt:
                updated = p.ts(fmt, stamp)
        row: Row = {
            "follow_up_id": f"FU-{lead.index + 1:08d}-{lead.follow_ups:03d}",
            "lead_id": lead.lead_id,
            "occurred_at": p.ts(fmt, when),
            "owner": owner,
            "channel": p.enum(fmt, "channel", channel),
            "stage_after": stage_after,
            "next_follow_up_at": next_at,
            "notes": note if rng.random() < 0.95 else None,
            "updated_at": updated,
        }
        if self.options.dirty_rate > 0 and dirt.random() < self.options.dirty_rate:
            self._dirty_follow_up(row, dirt)
            self.dirty["follow_ups"] += 1
        self._emit("follow_ups", when, (when.isoformat(" "), 0, lead.index, lead.follow_ups), row)
        return when

    # ---- service records --------------------------------------------------------------

    def _customer_services(
        self, lead: _Lead, rng: random.Random, fmt: random.Random, dirt: random.Random
    ) -> None:
        """A won account becomes a customer: onboarding visit, then tickets until the end."""
        assert lead.closed_at is not None
        base = lead.amount or lead.budget
        t = lead.closed_at
        if rng.random() < 0.5:
            t = self._days_after(rng, t, rng.uniform(3, 14))
            if t > self.end_dt:
                return
            lead.services += 1
            self._service(
                (1, lead.index, lead.services),
                f"SR-{lead.index + 1:08d}-{lead.services:02d}",
                lead.account_name,
                lead.account_id,
                t,
                "return_visit",
                base,
                rng,
                fmt,
                dirt,
            )
        while True:
            t = self._days_after(rng, t, rng.expovariate(1 / 18))
            if t > self.end_dt:
                return
            kind = self.service_types.pick(rng)
            lead.services += 1
            self._service(
                (1, lead.index, lead.services),
                f"SR-{lead.index + 1:08d}-{lead.services:02d}",
                lead.account_name,
                lead.account_id,
                t,
                kind,
                base,
                rng,
                fmt,
                dirt,
            )
            if kind == "cancellation":
                return

    def simulate_legacy(self, index: int) -> int:
        """A customer from before the CRM's lead history: service records only, no lead."""
        rng = random.Random(f"{self.options.seed}/legacy/{index}")
        fmt = random.Random(rng.getrandbits(64))
        dirt = random.Random(rng.getrandbits(64))
        city = self.cities.pick(rng)
        word = self.industry_words.pick(rng)
        (c1, _), (c2, _) = rng.sample(_BRAND_CHARS, 2)
        account = f"{city}{c1}{c2}{word}有限公司"
        account_id = _account_id(account)
        base = _round_money(rng.lognormvariate(math.log(400_000), 0.8))
        t = self._work_time(rng, self.start + dt.timedelta(days=rng.randint(0, 30)))
        written = 0
        while t <= self.end_dt:
            kind = self.service_types.pick(rng)
            if rng.random() < 0.08:
                kind = "renewal"
            written += 1
            self._service(
                (2, index, written),
                f"SR-L{index + 1:07d}-{written:02d}",
                account,
                account_id,
                t,
                kind,
                base,
                rng,
                fmt,
                dirt,
            )
            if kind == "cancellation":
                break
            t = self._days_after(rng, t, rng.expovariate(1 / 25))
        return written

    def _service(
        self,
        key: tuple[int, int, int],
        service_id: str,
        account: str,
        account_id: str | None,
        opened: dt.datetime,
        kind: str,
        base: int,
        rng: random.Random,
        fmt: random.Random,
        dirt: random.Random,
    ) -> None:
        p = self.present
        troubled = kind in ("complaint", "repair")
        priority = (self.priorities_urgent if troubled else self.priorities_normal).pick(rng)
        first = None
        if rng.random() < 0.93:
            scale = 10 if priority == "urgent" else 35
            first = self._minutes_after(rng, opened, 1, 5) + dt.timedelta(
                minutes=int(rng.lognormvariate(math.log(scale), 1.1))
            )
            if first > self.end_dt:
                first = None
        resolved = None
        if first is not None and rng.random() < 0.9:
            hours = rng.lognormvariate(math.log(30 if troubled else 6), 1.0)
            resolved = first + dt.timedelta(minutes=max(5, int(hours * 60)))
            if resolved > self.end_dt:
                resolved = None
        satisfaction = None
        if resolved is not None and rng.random() < 0.7:
            weights = _SATISFACTION_COMPLAINT if kind == "complaint" else _SATISFACTION_NORMAL
            satisfaction = str(rng.choices((1, 2, 3, 4, 5), weights=weights)[0])
        renewal = None
        if kind == "renewal":
            renewal = p.money(fmt, _round_money(base * rng.uniform(0.1, 0.35)))
        note = rng.choice(_SERVICE_NOTES.get(kind, ("其他事项",))) if rng.random() < 0.7 else None
        if note is not None and rng.random() < 0.1:
            note += f"，回电号码{self._phone(rng)}"
        row: Row = {
            "service_id": service_id,
            "account_name": _name_variant(rng, account),
            "account_id": account_id,
            "opened_at": p.ts(fmt, opened),
            "type": p.enum(fmt, "service_type", kind),
            "priority": p.enum(fmt, "priority", priority) if rng.random() < 0.95 else None,
            "agent": self.agents.pick(rng),
            "first_response_at": None if first is None else p.ts(fmt, first),
            "resolved_at": None if resolved is None else p.ts(fmt, resolved),
            "satisfaction": satisfaction,
            "renewal_amount": renewal,
            "notes": note,
        }
        if self.options.dirty_rate > 0 and dirt.random() < self.options.dirty_rate:
            self._dirty_service(row, kind, dirt)
            self.dirty["service_records"] += 1
        if key[0] == 1:
            self.customer_services += 1
        self._emit("service_records", opened, (opened.isoformat(" "), *key), row)

    # ---- deliberate faults ------------------------------------------------------------

    def _dirty_lead(self, row: Row, lead: _Lead, rng: random.Random) -> None:
        """Make one lead version invalid the way hand-kept exports are."""
        faults = ["missing", "missing", "bad_stage", "negative_budget", "bad_date"]
        if lead.stage == self.lost:
            faults += ["no_loss_reason", "no_loss_reason"]
        fault = rng.choice(faults)
        if fault == "missing":
            row[rng.choice(("source", "requirement", "budget", "contact_name", "owner"))] = ""
        elif fault == "bad_stage":
            row["stage"] = _BAD_STAGE
        elif fault == "negative_budget":
            row["budget"] = f"-{lead.budget}"
        elif fault == "bad_date":
            row["created_at"] = rng.choice(_BAD_TIMESTAMPS)
        else:
            row["loss_reason"] = ""

    def _dirty_follow_up(self, row: Row, rng: random.Random) -> None:
        fault = rng.choice(("missing_time", "bad_channel", "orphan", "bad_date", "no_owner"))
        if fault == "missing_time":
            row["occurred_at"] = ""
        elif fault == "bad_channel":
            row["channel"] = _BAD_CHANNEL
        elif fault == "orphan":
            row["lead_id"] = f"OPP-9{rng.randrange(10**9):09d}"
        elif fault == "bad_date":
            row["occurred_at"] = rng.choice(_BAD_TIMESTAMPS)
        else:
            row["owner"] = ""

    def _dirty_service(self, row: Row, kind: str, rng: random.Random) -> None:
        faults = ["satisfaction", "satisfaction", "no_agent", "bad_type", "bad_date"]
        if kind == "renewal":
            faults.append("negative_renewal")
        fault = rng.choice(faults)
        if fault == "satisfaction":
            row["satisfaction"] = _BAD_SATISFACTION
        elif fault == "no_agent":
            row["agent"] = ""
        elif fault == "bad_type":
            row["type"] = _BAD_SERVICE_TYPE
        elif fault == "bad_date":
            row["opened_at"] = rng.choice(_BAD_TIMESTAMPS)
        else:
            row["renewal_amount"] = f"-{rng.randrange(1, 100) * 1000}"


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def _validate(options: GeneratorOptions) -> None:
    if options.leads < 0:
        raise ValueError(f"--leads must be 0 or more, got {options.leads}")
    if options.end < options.start:
        raise ValueError(f"--end {options.end} is before --start {options.start}")
    if not 0.0 <= options.dirty_rate <= 1.0:
        raise ValueError(f"--dirty-rate must be between 0 and 1, got {options.dirty_rate}")
    if options.headers not in ("en", "zh"):
        raise ValueError(f"--headers must be en or zh, got {options.headers!r}")
    if options.encoding not in ("utf-8", "gbk"):
        raise ValueError(f"--encoding must be utf-8 or gbk, got {options.encoding!r}")
    if options.format not in ("csv", "xlsx", "jsonl"):
        raise ValueError(f"--format must be csv, xlsx or jsonl, got {options.format!r}")


def generate(
    out_dir: Path,
    options: GeneratorOptions,
    progress: Callable[[str], None] | None = None,
    *,
    spill_batch_rows: int = DEFAULT_SPILL_BATCH_ROWS,
) -> GenerationSummary:
    """Write a synthetic landing folder under ``out_dir`` and say what was written.

    Files are ``out_dir/<entity>/<YYYY-MM-DD>.<ext>``, one per entity and day that has rows,
    each holding only rows whose version/event time falls on that day, sorted by time.
    Existing files with the same names are replaced (atomically); other files are left
    alone. ``spill_batch_rows`` bounds the rows buffered in memory before they are spilled
    to disk (tests lower it to prove the output does not depend on batching).
    """
    _validate(options)
    say = progress or (lambda _message: None)
    contract = load_contract()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spill_dir = Path(tempfile.mkdtemp(prefix=".generate-spill-", dir=out_dir))
    try:
        spool = _Spool(spill_dir, spill_batch_rows)
        sim = _Simulator(contract, options, spool)
        index = 0
        for offset, count in enumerate(sim.lead_counts()):
            day = options.start + dt.timedelta(days=offset)
            for _ in range(count):
                sim.simulate_lead(index, day)
                index += 1
                if index % PROGRESS_EVERY_LEADS == 0:
                    say(f"simulated {index:,} of {options.leads:,} leads")
        # legacy customers (no lead at all): about 10% of all service records
        target = round(sim.customer_services / 9) if options.leads else 0
        legacy, written = 0, 0
        while written < target:
            written += sim.simulate_legacy(legacy)
            legacy += 1
        say(f"simulated {options.leads:,} leads and {legacy:,} legacy customers")
        spool.flush()
        files = _write_days(out_dir, options, contract, spool, say)
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)
    return GenerationSummary(
        out_dir=out_dir, files=files, rows=dict(sim.rows), dirty_rows=dict(sim.dirty)
    )


def _write_days(
    out_dir: Path,
    options: GeneratorOptions,
    contract: Contract,
    spool: _Spool,
    say: Callable[[str], None],
) -> int:
    """Read each day's spill back, sorted by time, and write the final per-day files."""
    days = (options.end - options.start).days + 1
    stamp = dt.datetime.combine(options.end, dt.time(23, 59))
    files = 0
    for entity in ENTITIES:
        columns = contract.entity(entity).columns
        if options.headers == "zh":
            header = [c.aliases[0] if c.aliases else c.name for c in columns]
        else:
            header = [c.name for c in columns]
        folder = out_dir / entity
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for offset in range(days):
            rows = spool.read_day(entity, offset)
            if not rows:
                continue
            day = options.start + dt.timedelta(days=offset)
            final = folder / f"{day.isoformat()}.{options.format}"
            part = folder / f".{final.name}.part"
            if options.format == "csv":
                _write_csv(part, header, rows, options.encoding)
            elif options.format == "jsonl":
                _write_jsonl(part, header, rows, options.encoding)
            else:
                _write_xlsx(part, entity, header, rows, stamp)
            os.replace(part, final)
            written += 1
        files += written
        say(f"wrote {written} {entity} files")
    return files
