"""The Spark variant of the masking macro is the same rule as Python's (quality.md, "Secrets
and personal data"): the expression ``core.masking`` generates for Spark, run by Spark SQL,
gives exactly what :func:`core.masking.mask_text` gives, on the hand-picked forms and on
random text with phones and e-mails in random formats (the strategies of the DuckDB
differential test, tests/unit/test_core_masking.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.masking import mask_identifier, mask_text, spark_sql_mask_text, sql_mask_identifier
from tests.unit.test_core_masking import _CONTACT, _FILLER

pytestmark = pytest.mark.spark


def _spark_masked(spark: Any, texts: list[str | None]) -> list[tuple[str | None, str | None]]:
    """(masked text, masked identifier) of each text, by Spark SQL, in input order."""
    frame = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "i int, t string")
    frame.createOrReplaceTempView("texts")
    masked = spark_sql_mask_text("t")
    rows = spark.sql(
        f"select i, {masked} as masked, {sql_mask_identifier('t', masked)} as id "
        "from texts order by i"
    ).collect()
    return [(row["masked"], row["id"]) for row in rows]


HAND_PICKED = [
    ("139-1111-0002", "139****0002"),
    ("+86-139-1111-0017", "139****0017"),
    ("(021)11110007", "021****0007"),
    ("+86 21 1111 0007", "021****0007"),  # a literal 0 right after group 1: $1\0 on Spark
    ("+86 755 8888 8888", "0755****8888"),
    ("（0755）8888－8888", "0755****8888"),
    ("客户电话13812345678，请回电", "客户电话138****5678，请回电"),
    ("13811112222,13911113333", "138****2222,139****3333"),
    ("mail Zhang.Wei@Example.com.cn now", "mail Z***@Example.com.cn now"),
    ("price $10 \\ 13812345678", "price $10 \\ 138****5678"),  # $ and \ in the text survive
    ("lead L-2026-0001 budget 1200000", "lead L-2026-0001 budget 1200000"),
    ("2026-03-31 14:05:00", "2026-03-31 14:05:00"),
]


def test_hand_picked_forms_mask_as_in_python(spark: Any) -> None:
    texts = [text for text, _ in HAND_PICKED]
    results = _spark_masked(spark, [*texts, None])
    for (text, expected), (masked, masked_id) in zip(HAND_PICKED, results, strict=False):
        assert mask_text(text) == expected
        assert masked == expected, text
        assert masked_id == mask_identifier(text), text
    assert results[-1] == (None, None)


_EMBEDDED = st.tuples(st.lists(st.tuples(_FILLER, _CONTACT), min_size=1, max_size=4), _FILLER)
_ARBITRARY = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60) | st.text(
    alphabet="0123456789０１２ +-().（）@a.b-c 86$\\", max_size=60
)


@settings(max_examples=15, deadline=None)
@given(
    embedded=st.lists(_EMBEDDED, min_size=20, max_size=20),
    arbitrary=st.lists(_ARBITRARY, min_size=20, max_size=20),
)
def test_spark_and_python_agree_on_random_text(
    spark: Any, embedded: list[tuple[list[tuple[str, tuple[str, str]]], str]], arbitrary: list[str]
) -> None:
    """Batches of random texts (one Spark query each): Spark's mask equals Python's, text
    and identifier alike, and each embedded contact is masked."""
    texts = [
        "".join(f"{filler} ,{written}, " for filler, (written, _) in parts) + tail
        for parts, tail in embedded
    ] + arbitrary
    for text, (masked, masked_id) in zip(texts, _spark_masked(spark, texts), strict=True):
        assert masked == mask_text(text), text
        assert masked_id == mask_identifier(text), text
    # not a vacuous comparison: every embedded contact was masked
    for (parts, _), text in zip(embedded, texts, strict=False):
        assert all(expected in (mask_text(text) or "") for _, (_, expected) in parts)
