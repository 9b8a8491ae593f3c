"""The realism pools: names, places, industries, notes and the deliberately invalid values."""

from __future__ import annotations

# fmt: off
# --------------------------------------------------------------------------------------
# Realism pools. Every string here must encode in GBK (checked by the unit tests), because
# `--encoding gbk` writes them as Chinese Excel does.
# --------------------------------------------------------------------------------------

# city, region, weight
CITIES: tuple[tuple[str, str, int], ...] = (
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
BRAND_CHARS: tuple[tuple[str, str], ...] = (
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
INDUSTRY_WORDS: tuple[tuple[str, str, int], ...] = (
    ("科技", "软件/互联网", 12), ("信息技术", "软件/互联网", 8), ("网络科技", "软件/互联网", 6),
    ("软件", "软件/互联网", 5), ("智能装备", "制造业", 5), ("机械制造", "制造业", 4),
    ("电子", "制造业", 5), ("精密仪器", "制造业", 2), ("医疗器械", "医疗健康", 4),
    ("生物医药", "医疗健康", 3), ("教育科技", "教育", 4), ("教育咨询", "教育", 2),
    ("供应链管理", "物流", 3), ("物流", "物流", 3), ("商贸", "零售/贸易", 4),
    ("贸易", "零售/贸易", 4), ("餐饮管理", "餐饮", 2), ("新能源", "能源", 3),
    ("建筑工程", "建筑/地产", 3), ("置业", "建筑/地产", 2), ("文化传媒", "文化传媒", 3),
    ("投资管理", "金融", 2),
)

EN_BRANDS: tuple[str, ...] = (
    "Acme", "Northwind", "Bluepeak", "Silverline", "Evergreen", "Brightstar", "Redwood",
    "Summit", "Apex", "Horizon", "Pioneer", "Vertex", "Lumen", "Orion", "Nimbus", "Keystone",
)
# English company noun, industry
EN_NOUNS: tuple[tuple[str, str], ...] = (
    ("Software", "软件/互联网"), ("Robotics", "制造业"), ("Logistics", "物流"),
    ("Trading", "零售/贸易"), ("Medical", "医疗健康"), ("Foods", "餐饮"), ("Energy", "能源"),
    ("Systems", "软件/互联网"), ("Education", "教育"), ("Media", "文化传媒"),
)
EN_SUFFIXES: tuple[str, ...] = ("Ltd.", "Co., Ltd.", "Inc.", "Limited", "Group")
EN_CITIES: tuple[tuple[str, str], ...] = (
    ("上海", "华东"), ("北京", "华北"), ("深圳", "华南"), ("广州", "华南"), ("苏州", "华东"),
)

SURNAMES: tuple[tuple[str, str], ...] = (
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
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
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
TITLES: tuple[str, ...] = ("经理", "总", "工", "主任", "老师")
EN_GIVEN: tuple[str, ...] = (
    "David", "Emily", "Michael", "Sarah", "Kevin", "Grace", "Jason", "Linda", "Tony", "Amy",
)
MAIL_DOMAINS: tuple[str, ...] = (
    "qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "aliyun.com", "outlook.com",
)
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "158", "159", "166", "176", "177", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "199",
)
# landline area codes (leading zero: must survive Excel and CSV round trips)
AREA_CODES: tuple[str, ...] = (
    "010", "021", "020", "022", "023", "025", "027", "028", "029",
    "0755", "0571", "0512", "0532", "0574", "0591", "0592", "0731", "0871",
)

REQUIREMENTS: tuple[str, ...] = (
    "采购CRM系统，约{n}个账号", "ERP系统升级改造", "需要{n}台工业机器人", "定制开发微信小程序",
    "数据中台建设咨询", "年度IT运维外包服务", "采购办公电脑{n}台", "智能仓储管理系统",
    "门店收银系统替换，{n}家门店", "视频会议系统部署", "网络安全等保测评", "业务系统迁移上云",
    "员工培训平台搭建", "供应链协同平台", "生产线自动化改造", "医疗设备采购{n}套",
    "客服中心外包", "营销自动化工具", "财务共享中心系统", "智慧园区解决方案",
)

# sales reps: name, team, skill (multiplies conversion odds: some reps are clearly better)
REPS: tuple[tuple[str, str, float], ...] = (
    ("张伟", "华东一组", 1.35), ("王芳", "华东一组", 1.0), ("李娜", "华东一组", 0.8),
    ("刘洋", "华东一组", 0.95), ("陈静", "华东一组", 1.15),
    ("黄敏", "华北组", 1.2), ("周杰", "华北组", 0.85), ("吴倩", "华北组", 1.0),
    ("赵磊", "华北组", 0.7),
    ("徐峰", "华南组", 1.1), ("孙丽", "华南组", 0.7), ("马超", "华南组", 1.0),
    ("杨帆", "华南组", 0.9),
    ("朱琳", "KA大客户部", 1.3), ("胡斌", "KA大客户部", 1.05),
)
REGION_TEAMS: dict[str, tuple[str, ...]] = {
    "华东": ("华东一组",), "华北": ("华北组",), "东北": ("华北组",), "华南": ("华南组",),
    "华中": ("华东一组", "华南组"), "西南": ("华南组", "华北组"), "西北": ("华北组",),
}
KA_TEAM = "KA大客户部"

AGENTS: tuple[tuple[str, int], ...] = (
    ("林晓", 16), ("郭婷", 15), ("何佳", 14), ("高鹏", 13), ("罗敏", 12), ("郑凯", 11),
    ("梁雪", 10), ("宋阳", 9),
)

# source key -> (share of leads, conversion multiplier): referral and expo convert better
SOURCES: dict[str, tuple[int, float]] = {
    "website": (22, 1.0), "expo": (12, 1.3), "phone": (14, 0.85), "referral": (12, 1.55),
    "third_party": (14, 0.9), "advertising": (20, 0.75), "other": (6, 0.9),
}
# open stage key -> (median dwell days, lognormal sigma, P(lost), P(stall)) at q = 1
STAGE_BEHAVIOUR: dict[str, tuple[float, float, float, float]] = {
    "lead": (1.5, 0.7, 0.12, 0.08),
    "contacted": (5.0, 0.6, 0.15, 0.10),
    "needs_confirmed": (8.0, 0.6, 0.18, 0.08),
    "proposal": (10.0, 0.6, 0.26, 0.07),
    "negotiation": (12.0, 0.6, 0.30, 0.05),
}
DEFAULT_STAGE_BEHAVIOUR = (7.0, 0.6, 0.2, 0.08)
LOSS_REASONS_EARLY: tuple[str, ...] = ("无法联系", "需求变更", "无效线索", "预算取消")
LOSS_REASONS_LATE: tuple[str, ...] = ("价格过高", "选择竞品", "预算取消", "需求变更", "项目搁置")
URGENCY: dict[str, tuple[int, float]] = {
    "high": (25, 1.15), "medium": (50, 1.0), "low": (25, 0.85),
}
# follow-up channel weights early (lead/contacted) and late (needs_confirmed onwards)
CHANNELS_EARLY: dict[str, int] = {
    "call": 45, "wechat": 32, "email": 8, "visit": 7, "meeting": 5, "other": 3,
}
CHANNELS_LATE: dict[str, int] = {
    "call": 25, "wechat": 28, "email": 12, "visit": 18, "meeting": 15, "other": 2,
}
SERVICE_TYPES: dict[str, int] = {
    "consultation": 36, "return_visit": 16, "repair": 16, "complaint": 13, "renewal": 8,
    "other": 7, "cancellation": 4,
}
PRIORITIES_URGENT: dict[str, int] = {"urgent": 20, "high": 38, "medium": 32, "low": 10}
PRIORITIES_NORMAL: dict[str, int] = {"urgent": 3, "high": 12, "medium": 55, "low": 30}
SATISFACTION_NORMAL: tuple[int, ...] = (3, 5, 12, 35, 45)  # weights of 1..5
SATISFACTION_COMPLAINT: tuple[int, ...] = (15, 20, 25, 25, 15)

FOLLOW_UP_NOTES: tuple[str, ...] = (
    "电话沟通项目进展，客户反馈正在内部评估", "微信发送产品资料，客户已读",
    "上门拜访，交流需求细节", "客户询问报价细节，约定下周再沟通", "发送方案PPT，待客户内部讨论",
    "客户出差，约下周回访",
    "跟进合同条款，法务审核中", "客户要求演示系统功能", "对接技术负责人，确认部署环境",
    "节前问候，维护客户关系", "客户在比较两家供应商", "邀请客户参加线下沙龙",
)
STAGE_NOTES: dict[str, str] = {
    "contacted": "首次沟通，客户有{req}的需求",
    "needs_confirmed": "需求调研完成，预算约{budget}万",
    "proposal": "已提交方案与报价",
    "negotiation": "进入商务谈判，客户希望价格再优惠",
    "won": "合同已签署，安排实施与回款",
    "lost": "{reason}，商机关闭",
}
SERVICE_NOTES: dict[str, tuple[str, ...]] = {
    "consultation": ("咨询系统使用问题", "咨询账号权限配置", "询问发票开具"),
    "complaint": ("投诉响应速度慢", "投诉实施人员沟通不畅", "对账单有疑问，要求解释"),
    "repair": ("设备故障报修", "系统登录异常", "打印模块报错"),
    "return_visit": ("上线后例行回访", "季度回访，客户整体满意"),
    "renewal": ("续签年度服务合同", "增购账号"),
    "cancellation": ("客户决定不再续约", "因预算收缩解约"),
    "other": ("其他事项",),
}

# deliberately invalid values used by the dirty-row faults
BAD_STAGE = "待定"
BAD_CHANNEL = "飞鸽"
BAD_SERVICE_TYPE = "售后"
BAD_TIMESTAMPS: tuple[str, ...] = (
    "2026-02-30 10:00:00", "下周一", "31/31/2026", "2026-13-01 09:00",
)
BAD_SATISFACTION = "7"

# hour-of-day weights for business activity (8:00 .. 21:59)
HOURS: tuple[int, ...] = tuple(range(8, 22))
HOUR_WEIGHTS: tuple[int, ...] = (2, 8, 12, 11, 5, 7, 11, 12, 11, 8, 4, 2, 1, 1)

ALL_POOLS: tuple[tuple[str, ...], ...] = (
    tuple(c for c, _, _ in CITIES), tuple(c for c, _ in BRAND_CHARS),
    tuple(w for w, _, _ in INDUSTRY_WORDS), tuple(i for _, i, _ in INDUSTRY_WORDS),
    tuple(s for s, _ in SURNAMES), tuple(g for g, _ in GIVEN_NAMES), TITLES,
    REQUIREMENTS, tuple(r for r, _, _ in REPS), tuple(t for _, t, _ in REPS),
    tuple(a for a, _ in AGENTS), LOSS_REASONS_EARLY, LOSS_REASONS_LATE, FOLLOW_UP_NOTES,
    tuple(STAGE_NOTES.values()), tuple(n for ns in SERVICE_NOTES.values() for n in ns),
    (BAD_STAGE, BAD_CHANNEL, BAD_SERVICE_TYPE), BAD_TIMESTAMPS,
)

# fmt: on


# Share of leads that come from a company an earlier lead already brought.
REPEAT_BUSINESS_SHARE = 0.2


def generation_strings() -> list[str]:
    """Every fixed string the generator can emit (for the GBK-encodability test)."""
    return [s for pool in ALL_POOLS for s in pool]
