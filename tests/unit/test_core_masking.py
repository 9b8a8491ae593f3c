"""The one masking rule (quality.md, "Secrets and personal data"): Python and DuckDB SQL give
the same answer, no phone or e-mail survives, and the dbt macro is generated from it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.masking import (
    DBT_MACRO,
    mask_identifier,
    mask_text,
    render_dbt_macro,
    sql_mask_identifier,
    sql_mask_text,
)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _sql_text(con: duckdb.DuckDBPyConnection, text: str | None) -> str | None:
    return con.execute(f"select {sql_mask_text('$1')}", [text]).fetchone()[0]


def _sql_id(con: duckdb.DuckDBPyConnection, text: str | None) -> str | None:
    return con.execute(f"select {sql_mask_identifier('$1')}", [text]).fetchone()[0]


def test_committed_dbt_macro_is_generated_from_the_python_rule() -> None:
    assert DBT_MACRO.read_text(encoding="utf-8") == render_dbt_macro(), (
        "dbt_project/macros/masking.sql is stale: regenerate with `python -m core.masking`"
    )


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # the forms issue 10 found published unmasked
        ("139-1111-0002", "139****0002"),
        ("139 1111 0003", "139****0003"),
        ("+86-139-1111-0017", "139****0017"),
        ("(021)11110007", "021****0007"),
        ("021-1111 0007", "021****0007"),
        # other country-code, bracket and separator forms
        ("(+86)13812345678", "138****5678"),
        ("0086 138.1234.5678", "138****5678"),
        ("+86 21 1111 0007", "021****0007"),
        ("（0755）8888－8888", "0755****8888"),
        ("客户电话13812345678，请回电", "客户电话138****5678，请回电"),
        ("13811112222,13911113333", "138****2222,139****3333"),
        ("mail Zhang.Wei@Example.com.cn now", "mail Z***@Example.com.cn now"),
        ("13812345678@qq.com", "1***@qq.com"),
        # not contact data: ids, amounts, timestamps stay as they are
        ("lead L-2026-0001 budget 1200000", "lead L-2026-0001 budget 1200000"),
        ("order 123138123456789", "order 123138123456789"),
        ("2026-03-31 14:05:00", "2026-03-31 14:05:00"),
    ],
)
def test_the_rule_masks_contacts_and_keeps_other_text(
    con: duckdb.DuckDBPyConnection, text: str, masked: str
) -> None:
    assert mask_text(text) == masked
    assert _sql_text(con, text) == masked


def test_masked_ids_stay_apart_and_clean_ids_stay_unchanged(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first, second = "13811115678", "13822225678"  # both mask to 138****5678
    assert mask_identifier("L-2026-0001") == "L-2026-0001"
    expected = "138****5678~" + hashlib.md5(first.encode()).hexdigest()[:8]
    assert mask_identifier(first) == expected
    assert mask_identifier(first) != mask_identifier(second)
    assert _sql_id(con, first) == expected
    assert mask_identifier(None) is None and _sql_id(con, None) is None
    assert mask_text(None) is None and _sql_text(con, None) is None


# --------------------------------------------------------------------------- properties
_SEPARATORS = st.sampled_from(["", "", " ", "-", ".", "  ", " - ", "．", "－", "　"])
_FILLER = st.text(
    alphabet=st.characters(blacklist_categories=("Nd", "Cs"), blacklist_characters="@＠"),
    max_size=12,
)


def _spread(digits: str, separators: list[str]) -> str:
    """The digits with the drawn separator after each one but the last."""
    return "".join(d + s for d, s in zip(digits[:-1], separators, strict=False)) + digits[-1]


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(written form, expected mask) of a Chinese mobile number in a random format."""
    number = draw(st.sampled_from("3456789").map(lambda d: "1" + d))
    number += draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    separators = draw(st.lists(_SEPARATORS, min_size=10, max_size=10))
    country = draw(
        st.sampled_from(["", "+86", "+86 ", "+86-", "0086 ", "86-", "(+86)", "＋86 ", "+86 - "])
    )
    written = country + _spread(number, separators)
    if draw(st.booleans()):
        written = written.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        number = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return written, f"{number[:3]}****{number[7:]}"


@st.composite
def landlines(draw: st.DrawFn) -> tuple[str, str]:
    """(written form, expected mask) of a landline with its area code."""
    area = draw(st.sampled_from(["010", "021", "028", "0755", "0571", "0931"]))
    local = draw(st.sampled_from("2345678"))
    local += draw(st.text(alphabet="0123456789", min_size=6, max_size=7))
    style = draw(st.sampled_from(["plain", "bracket", "fullbracket", "country"]))
    between = draw(st.sampled_from(["", " ", "-", " - "]))
    written_local = _spread(local, draw(st.lists(_SEPARATORS, min_size=8, max_size=8)))
    if style == "bracket":
        written = f"({area}){between}{written_local}"
    elif style == "fullbracket":
        written = f"（{area}）{between}{written_local}"
    elif style == "country":
        written = f"+86{draw(st.sampled_from(['', ' ', '-']))}{area[1:]}{between}{written_local}"
    else:
        written = f"{area}{between or '-'}{written_local}"
    return written, f"{area}****{local[-4:]}"


_LOCAL = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789._%+-", min_size=1, max_size=12
)
_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, str]:
    local, domain = draw(_LOCAL), ".".join(draw(st.lists(_LABEL, min_size=1, max_size=3)))
    domain += "." + draw(st.sampled_from(["com", "cn", "net", "org", "io"]))
    return f"{local}@{domain}", f"{local[0]}***@{domain}"


_CONTACT = st.one_of(mobiles(), landlines(), emails())


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.tuples(_FILLER, _CONTACT), min_size=1, max_size=4), tail=_FILLER)
def test_python_and_sql_agree_and_no_contact_survives(
    con: duckdb.DuckDBPyConnection, parts: list[tuple[str, tuple[str, str]]], tail: str
) -> None:
    """Random text with embedded phones and e-mails in random formats: the Python mask equals
    the DuckDB SQL mask, every contact is replaced by its masked form and none survives."""
    text = "".join(f"{filler} ,{written}, " for filler, (written, _) in parts) + tail
    masked = mask_text(text)
    assert _sql_text(con, text) == masked
    assert masked is not None
    for _, (written, expected) in parts:
        assert expected in masked
        if written != expected:
            assert f",{written}," not in masked


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
    | st.text(alphabet="0123456789０１２ +-().（）@a.b-c 86", max_size=60)
)
def test_python_and_sql_agree_on_arbitrary_text(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert _sql_text(con, text) == mask_text(text)
    assert _sql_id(con, text) == mask_identifier(text)
