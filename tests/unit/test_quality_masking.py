"""Masking of phones and e-mail addresses (quality.md: 138****5678, z***@example.com)."""

from __future__ import annotations

import pytest

from quality.masking import mask_email, mask_phone, redact_url, redact_urls, scrub


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
