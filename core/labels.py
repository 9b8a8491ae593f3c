"""Labels of every enumeration key, in Chinese (default) and English.

One table (``core/labels.yaml``) for stage, status, source, channel, service type,
priority, urgency, grade, tier, lifecycle status, attention reason and risk reason, so a
deck, an alert and a BI view all call the same thing by the same name. This module
imports nothing else from the project (it sits at the bottom of the layers).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
LABELS_FILE = Path(__file__).with_name("labels.yaml")
UNKNOWN: dict[Language, str] = {"zh": "未填写", "en": "Not set"}


@cache
def label_table() -> dict[str, dict[str, dict[str, str]]]:
    """``{enum: {key: {"zh": …, "en": …}}}``, read once from labels.yaml."""
    data = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    table: dict[str, dict[str, dict[str, str]]] = {}
    for enum, values in data.items():
        table[str(enum)] = {str(key): dict(names) for key, names in values.items()}
    return table


def check_language(language: str) -> Language:
    """``language`` itself when it is ``zh`` or ``en``; otherwise a ValueError naming it."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    return language  # type: ignore[return-value]


def label(enum: str, key: object, language: Language = "zh") -> str:
    """The label of ``key`` in ``enum``; the key itself when unknown, a 'not set' text for
    NULL. An unknown enumeration name is a programming error (KeyError)."""
    values = label_table()[enum]
    if key is None or key == "":
        return UNKNOWN[language]
    names = values.get(str(key))
    return names[language] if names else str(key)


def labels(enum: str, language: Language = "zh") -> dict[str, str]:
    """Every key of ``enum`` with its label, in the table's order."""
    return {key: names[language] for key, names in label_table()[enum].items()}
