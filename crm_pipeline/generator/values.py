"""Small value helpers: weighted choice, budget rounding, account-name variants and ids."""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence


class Picker:
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


def weighted_picker(table: dict[str, int] | dict[str, tuple[int, float]]) -> Picker:
    weights = [v[0] if isinstance(v, tuple) else v for v in table.values()]
    return Picker(list(table), weights)


def round_money(value: float) -> int:
    """Round an amount the way people state budgets (to 1k, 5k or 10k)."""
    if value < 100_000:
        step = 1_000
    elif value < 1_000_000:
        step = 5_000
    else:
        step = 10_000
    return max(step, int(round(value / step)) * step)


def fullwidth(text: str) -> str:
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


def name_variant(rng: random.Random, name: str) -> str:
    """The account name as a service desk might type it: same key after normalisation.

    Variants differ only in what ``account_key`` normalisation removes (NFKC, trimming,
    inner whitespace, Latin case), so the marts must join them to the lead's account.
    """
    if rng.random() >= 0.2:
        return name
    has_latin = any("a" <= c.lower() <= "z" for c in name)
    kind = rng.randrange(4)
    if kind == 0 and has_latin:
        return fullwidth(name) + rng.choice(("", " "))
    if kind == 1 and has_latin:
        return name.lower() if name != name.lower() else name.upper()
    if kind == 2 and " " in name:
        return name.replace(" ", "  ", 1)
    return rng.choice((name + " ", " " + name, "\u3000" + name))


def account_id_for(name: str) -> str | None:
    """A CRM customer id for about 30% of companies, stable per company name."""
    digest = zlib.crc32(name.encode("utf-8"))
    if digest % 10 >= 3:
        return None
    return f"CUS-{digest % 100_000_000:08d}"
