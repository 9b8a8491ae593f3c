"""Masking of phones and e-mail addresses (quality.md: 138****5678, z***@example.com)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.masking import mask_email, mask_phone, redact_url, redact_urls, scrub


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("13812345678", "138****5678"), ("+86 138-1234-5678", "138****5678"), ("1234", "****")],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_mask_email() -> None:
    assert mask_email("zhang.wei@example.com") == "z***@example.com"


def test_scrub_masks_contacts_but_keeps_ids_and_amounts() -> None:
    text = "call 13812345678 / +86 139 1234 5678 / 010-12345678, mail zhang@example.com"
    assert scrub(text) == "call 138****5678 / 139****5678 / 010****5678, mail z***@example.com"
    assert scrub("lead L-2026-0001 budget 1200000") == "lead L-2026-0001 budget 1200000"
    assert scrub(None) is None


def test_urls_are_redacted_to_their_scheme() -> None:
    assert redact_url("dingtalk://token@secret/?to=1") == "dingtalk://***"
    assert redact_urls("failed sending to mailtos://u:pw@smtp.qq.com?to=x") == (
        "failed sending to mailtos://***"
    )


@given(
    before=st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=30),
    after=st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=30),
    prefix=st.sampled_from(["13", "15", "18", "19"]),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    separator=st.sampled_from(["", " ", "-"]),
)
def test_scrub_never_leaves_a_mobile_number(
    before: str, after: str, prefix: str, rest: str, separator: str
) -> None:
    """Whatever surrounds it (no digits), a mobile number keeps only 3 + 4 digits."""
    number = prefix + rest
    written = f"{number[:3]}{separator}{number[3:7]}{separator}{number[7:]}"
    scrubbed = scrub(f"{before} {written} {after}") or ""
    assert number not in scrubbed.replace(" ", "").replace("-", "")
    assert f"{number[:3]}****{number[7:]}" in scrubbed
