"""Masking of personal data in messages, and redaction of secrets in URLs.

The masking rule itself lives in :mod:`core.masking` (one rule for Python and SQL);
:func:`scrub` is its name here for the quality, report and alert code that masks whole
messages. Phones keep their first three and last four digits (``138****5678``), e-mail
addresses their first letter and domain (``z***@example.com``) (quality.md, "Secrets and
personal data").
"""

from __future__ import annotations

import re

from core.masking import mask_text

# Secrets inside URLs: userinfo (user:password@) and the path and query after the host.
_URL_RE = re.compile(r"\b([a-z][a-z0-9+.\-]*)://[^\s'\"<>]+", re.IGNORECASE)

WITHHELD = "(withheld: personal data)"


def mask_phone(value: str) -> str:
    """One phone number on its own, as the rule masks it: ``+86 138-1234-5678`` ->
    ``138****5678``; a value the rule does not take for a phone keeps no digit at all."""
    masked = mask_text(value) or ""
    return masked if masked != value else re.sub(r"[0-9]", "*", re.sub(r"[^0-9]", "", value))


def mask_email(value: str) -> str:
    """One e-mail address on its own: ``zhang.wei@example.com`` -> ``z***@example.com``."""
    masked = mask_text(value.strip()) or ""
    return masked if "***@" in masked else "***"


def scrub(text: str | None) -> str | None:
    """Mask every e-mail address and phone number inside a free text (core.masking)."""
    return mask_text(text)


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
