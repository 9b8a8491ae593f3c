"""How canonical values are written: contract aliases, date, money and boolean formats."""

from __future__ import annotations

import datetime as dt
import random

from core.contract import Contract
from crm_pipeline.generator.options import GeneratorOptions


class Presenter:
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
