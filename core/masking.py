"""Masking of personal data before anything leaves the raw and staging layers.

Quarantine details, check results, reports, alerts and logs may need to say *which* value
is wrong; they never show a phone number or an e-mail address in full (quality.md,
"Secrets and personal data"). Phones keep their first three and last four digits
(``138****5678``), e-mail addresses their first letter and domain (``z***@example.com``).
Free-text notes are never shown at all.
"""

from __future__ import annotations

import re

# An e-mail address anywhere in a text.
_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
# Chinese mobile numbers (+86 optional, spaces or dashes allowed) and landlines with an
# area code (010-12345678). Ids and amounts are long digit runs too, so match only these.
_PHONE_RE = re.compile(
    r"(?<![\w\-])(?:(?:\+?86)[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?![\w\-])"
    r"|(?<![\w\-])0\d{2,3}[\s\-]\d{7,8}(?![\w\-])"
)
# Secrets inside URLs: userinfo (user:password@) and the path and query after the host.
_URL_RE = re.compile(r"\b([a-z][a-z0-9+.\-]*)://[^\s'\"<>]+", re.IGNORECASE)

WITHHELD = "(withheld: personal data)"


def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678``; shorter numbers keep at most their last digits."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 13 and digits.startswith("86"):  # +86 country code
        digits = digits[2:]
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 8:
        return f"****{digits[-4:]}"
    return "*" * len(digits)


def mask_email(value: str) -> str:
    """``zhang.wei@example.com`` -> ``z***@example.com``."""
    match = _EMAIL_RE.search(value)
    if not match:
        return "***"
    return f"{match.group(1)}***@{match.group(2)}"


def _mask_phone_match(match: re.Match[str]) -> str:
    return mask_phone(match.group(0))


def scrub(text: str | None) -> str | None:
    """Mask every e-mail address and phone-like number inside a free text."""
    if text is None:
        return None
    text = _EMAIL_RE.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE_RE.sub(_mask_phone_match, text)


def redact_url(url: str) -> str:
    """A notification URL with everything after the scheme hidden: ``slack://***``.

    Apprise URLs carry tokens in the user part, the host, the path and the query alike,
    so only the scheme is safe to show.
    """
    match = re.match(r"\s*([a-z][a-z0-9+.\-]*)://", url, re.IGNORECASE)
    return f"{match.group(1)}://***" if match else "***"


def redact_urls(text: str) -> str:
    """Replace every URL inside a text (an error message, say) with its redacted form."""
    return _URL_RE.sub(lambda m: f"{m.group(1)}://***", text)
