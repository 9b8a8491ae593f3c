"""The one masking rule for personal data, for Python and SQL alike (quality.md, "Secrets
and personal data"), and the redaction of secrets in notification URLs.

The rule is a short list of regular-expression replacements, applied in order, each with
"replace every match" semantics. The same pattern text runs in Python (:mod:`re`), in
DuckDB (RE2), in PostgreSQL (ARE) and in Spark (``java.util.regex``): it uses only what
these engines read the same way — character classes spelled out (``[0-9]``, never ``\\d``,
which is Unicode in Python), greedy quantifiers, grouping and alternation, ``^`` and ``$``,
no look-around, no back-references inside a pattern. Replacements are lists of literal text
and group numbers, rendered as ``\\g<1>`` for Python, ``\\1`` for DuckDB and PostgreSQL and
``$1`` for Spark. The dbt macro ``dbt_project/macros/masking.sql`` (one variant per engine)
is generated from this module (``python -m core.masking``); a test fails when the committed
macro is stale. tests/unit/test_core_masking.py checks Python against DuckDB, and
tests/spark/test_spark_masking.py (``make test-spark``) Python against Spark.

What is masked:

- e-mail addresses: ``zhang.wei@example.com`` -> ``z***@example.com``;
- Chinese mobile numbers, with or without ``+86`` / ``0086`` / ``86`` (bracketed or not),
  with spaces, hyphens or dots anywhere between the digits: ``+86-139-1111-0017`` ->
  ``139****0017``;
- landlines with an area code (``010``, ``02x``, ``0xxx``) in any bracket or separator
  form, with or without ``+86``: ``(021)11110007`` / ``021-1111 0007`` -> ``021****0007``.

Full-width digits and separators (``１３９－１１１１``) count like ASCII ones. A number is
only taken for a phone when no other digit touches it, so ids and amounts that merely
contain such a digit run are left alone. Each phone pass runs twice: a match consumes the
character after it, so in ``13811112222,13911113333`` the second number is found by the
second run.

Record ids, owners and account keys are *identifiers*: two different ids may mask to the
same text (``13811115678`` and ``13822225678`` both give ``138****5678``), which would merge
two records in a join or a group. :func:`mask_identifier` therefore appends ``~`` and the
first 8 hex digits of the MD5 of the original when (and only when) masking changed it, in
Python and SQL identically. Unchanged ids stay as they are.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Replacement parts: literal text, or the number of a group to copy.
Part = str | int


def _java_literal(char: str) -> str:
    """One character of literal replacement text for Java: ``\\``, ``$`` and digits escaped."""
    return f"\\{char}" if char in "\\$0123456789" else char


@dataclass(frozen=True)
class MaskPass:
    """One replace-all pass: pattern and replacement, shared by Python and SQL."""

    name: str
    pattern: str
    replacement: tuple[Part, ...]

    @property
    def python_replacement(self) -> str:
        """The replacement as :func:`re.sub` reads it (``\\g<1>``, backslashes escaped)."""
        return "".join(
            f"\\g<{p}>" if isinstance(p, int) else p.replace("\\", "\\\\") for p in self.replacement
        )

    @property
    def sql_replacement(self) -> str:
        """The replacement as DuckDB's and PostgreSQL's ``regexp_replace`` read it."""
        return "".join(f"\\{p}" if isinstance(p, int) else p for p in self.replacement)

    @property
    def java_replacement(self) -> str:
        """The replacement as Spark's ``regexp_replace`` (``java.util.regex``) reads it.

        Groups are ``$1``; in literal text ``\\`` and ``$`` are escaped, and so is every digit:
        Java reads ``$10`` as group 10 when the pattern has that many groups, so the ``0``
        after group 1 in ``(1, "0", 2)`` must be ``\\0``, whatever the group count.
        """
        return "".join(
            f"${p}" if isinstance(p, int) else "".join(_java_literal(c) for c in p)
            for p in self.replacement
        )


# --------------------------------------------------------------------------- building blocks
_DIGIT = "[0-9０-９]"
_NOT_DIGIT = "[^0-9０-９]"
# Separators: space, ideographic space, dot, hyphen (ASCII or full width), up to three
# between any two digits (``139 - 1111 - 0003``). A landline's optional eighth digit may
# take a lone digit that follows (``010-2000001 5``): more is masked, never less.
_SEP = "[ 　.．－-]{0,3}"
_GAP = _SEP
_OPEN = "[(（]?"
_CLOSE = "[)）]?"
# Country code: +86, 0086 or 86, possibly in brackets, then any separators.
_COUNTRY = f"{_OPEN}(?:[+＋]|00|００)?[8８][6６]{_CLOSE}{_GAP}"


def _digit_group() -> str:
    return f"({_DIGIT})"


def _digits(count: int, capture: bool) -> str:
    """``count`` digits with any separators between them, each captured or not."""
    one = _digit_group() if capture else _DIGIT
    return _SEP.join([one] * count)


_BEFORE = f"(^|{_NOT_DIGIT})"
_AFTER = f"({_NOT_DIGIT}|$)"

_EMAIL = MaskPass(
    "email",
    "([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*[@＠]([A-Za-z0-9-]+(?:[.][A-Za-z0-9-]+)*[.][A-Za-z]{2,})",
    (1, "***@", 2),
)

# Mobile: 1, then 3-9, then nine digits; keep the first three and the last four.
_MOBILE = MaskPass(
    "mobile",
    f"{_BEFORE}(?:{_COUNTRY})?([1１]){_SEP}([3-9３-９]){_SEP}{_digit_group()}{_SEP}"
    f"{_digits(4, capture=False)}{_SEP}{_digits(4, capture=True)}{_AFTER}",
    (1, 2, 3, 4, "****", 5, 6, 7, 8, 9),
)

# Landline: area code 010, 02x or 0xxx (bracketed or not), then 7 or 8 digits; keep the
# area code and the last four digits.
_AREA = "[0０](?:[1１][0０]|[2２][0-9０-９]|[3-9３-９][0-9０-９][0-9０-９])"
_LANDLINE = MaskPass(
    "landline",
    f"{_BEFORE}{_OPEN}({_AREA}){_CLOSE}{_GAP}{_digits(3, capture=False)}{_SEP}(?:{_DIGIT}{_SEP})?"
    f"{_digits(4, capture=True)}{_AFTER}",
    (1, 2, "****", 3, 4, 5, 6, 7),
)

# Landline dialled with the country code: +86 21 1111 0007 (area code without its 0).
_AREA_ABROAD = "(?:[1１][0０]|[2２][0-9０-９]|[3-9３-９][0-9０-９][0-9０-９])"
_LANDLINE_ABROAD = MaskPass(
    "landline_country_code",
    f"{_BEFORE}{_OPEN}(?:[+＋]|00|００)[8８][6６]{_CLOSE}{_GAP}{_OPEN}({_AREA_ABROAD}){_CLOSE}{_GAP}"
    f"{_digits(3, capture=False)}{_SEP}(?:{_DIGIT}{_SEP})?{_digits(4, capture=True)}{_AFTER}",
    (1, "0", 2, "****", 3, 4, 5, 6, 7),
)

# The rule: e-mail first (a mailbox like 13812345678@qq.com is an address), then mobiles,
# then landlines; each phone pass twice (see the module docstring).
MASK_PASSES: tuple[MaskPass, ...] = (
    _EMAIL,
    _MOBILE,
    _MOBILE,
    _LANDLINE_ABROAD,
    _LANDLINE_ABROAD,
    _LANDLINE,
    _LANDLINE,
)
ID_HASH_DIGITS = 8
ID_HASH_SEPARATOR = "~"

_COMPILED = tuple((re.compile(p.pattern), p.python_replacement) for p in MASK_PASSES)


# --------------------------------------------------------------------------- Python
def mask_text(text: str | None) -> str | None:
    """Every e-mail address and phone number inside ``text`` masked; None stays None."""
    if text is None:
        return None
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


def mask_identifier(value: str | None) -> str | None:
    """An id, owner or account key masked like text, kept distinct by a short hash.

    Only a value that masking changes gets the suffix (``138****5678~1a2b3c4d``), so ids
    without personal data stay as they are and joins on masked ids match what joins on the
    originals match.
    """
    if value is None:
        return None
    masked = mask_text(value)
    if masked == value:
        return value
    digest = hashlib.md5(value.encode("utf-8")).hexdigest()[:ID_HASH_DIGITS]  # noqa: S324
    return f"{masked}{ID_HASH_SEPARATOR}{digest}"


# --------------------------------------------------------------------------- messages
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


@functools.lru_cache(maxsize=65_536)
def scrub(text: str | None) -> str | None:
    """:func:`mask_text` under the name the quality, report and alert code use for whole
    messages. Remembered per text: the same few sentences recur on thousands of rows (a
    parser's detail, an unknown enum value), and each is masked once (issue 14)."""
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


# --------------------------------------------------------------------------- SQL
def _sql_literal(text: str) -> str:
    """A standard SQL string literal (DuckDB, PostgreSQL): quotes doubled, ``\\`` as is."""
    return "'" + text.replace("'", "''") + "'"


def _spark_literal(text: str) -> str:
    """A Spark SQL string literal: Spark reads ``\\`` in a literal as an escape character
    (``spark.sql.parser.escapedStringLiterals`` is off by default), so it is doubled."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _nested_replaces(expression: str, indent: str, passes: list[list[str]]) -> str:
    """``regexp_replace(…(expression, args of pass 1…)…, args of the last pass)``: nested
    calls, the first pass innermost, laid out one argument per line."""
    count = len(passes)
    lines = [f"{indent}{'    ' * depth}regexp_replace(" for depth in range(count)]
    lines[0] = lines[0].lstrip()
    lines.append(f"{indent}{'    ' * count}{expression},")
    for position, arguments in enumerate(passes):
        depth = count - 1 - position
        inner = f"{indent}{'    ' * (depth + 1)}"
        lines += [f"{inner}{argument}," for argument in arguments[:-1]]
        lines += [f"{inner}{arguments[-1]}", f"{indent}{'    ' * depth})" + ("," if depth else "")]
    return "\n".join(lines)


def sql_mask_text(expression: str, indent: str = "") -> str:
    """A SQL expression masking ``expression`` (DuckDB and PostgreSQL): ``regexp_replace``
    with the ``'g'`` (replace every match) flag and ``\\1`` group references."""
    passes = [
        [_sql_literal(p.pattern), _sql_literal(p.sql_replacement), "'g'"] for p in MASK_PASSES
    ]
    return _nested_replaces(expression, indent, passes)


def spark_sql_mask_text(expression: str, indent: str = "") -> str:
    """The same rule in Spark SQL: Spark's ``regexp_replace`` always replaces every match
    and its fourth argument is a start *position* (a ``'g'`` there makes the call NULL);
    the pattern is a ``java.util.regex`` one, which reads these patterns like RE2, ARE and
    Python's :mod:`re`; group references are ``$1`` (:attr:`MaskPass.java_replacement`)."""
    passes = [[_spark_literal(p.pattern), _spark_literal(p.java_replacement)] for p in MASK_PASSES]
    return _nested_replaces(expression, indent, passes)


def sql_mask_identifier(expression: str, masked_expression: str | None = None) -> str:
    """SQL for :func:`mask_identifier`: the masked text plus ``~`` and 8 hex digits of the
    MD5 of the original, only when masking changed the value."""
    masked = masked_expression or sql_mask_text(expression)
    return (
        f"case when {masked} = {expression} then {expression} "
        f"else {masked} || '{ID_HASH_SEPARATOR}' || substr(md5({expression}), 1, "
        f"{ID_HASH_DIGITS}) end"
    )


DBT_MACRO = Path(__file__).resolve().parent.parent / "dbt_project" / "macros" / "masking.sql"


def render_dbt_macro() -> str:
    """The text of ``dbt_project/macros/masking.sql``, generated from :data:`MASK_PASSES`:
    ``mask_contact_data`` dispatched to a default (DuckDB, PostgreSQL) and a Spark variant."""
    body = sql_mask_text("{{ column }}", indent="    ")
    spark_body = spark_sql_mask_text("{{ column }}", indent="    ")
    return (
        "{#- GENERATED from core/masking.py by `python -m core.masking`: do not edit by hand.\n"
        '    The one masking rule (quality.md, "Secrets and personal data"): e-mail addresses\n'
        "    as z***@example.com, Chinese mobile numbers as 138****5678 and landlines as\n"
        "    021****0007, whatever their separators, brackets or country code. The same\n"
        "    patterns run in Python (core.masking.mask_text). Engines differ only in how\n"
        "    regexp_replace is called, hence one variant per engine (adapter.dispatch). -#}\n"
        "{% macro mask_contact_data(column) -%}\n"
        "    {{ return(adapter.dispatch('mask_contact_data')(column)) }}\n"
        "{%- endmacro %}\n"
        "\n"
        "{#- DuckDB and PostgreSQL: the 'g' flag replaces every match; \\1 is group 1. -#}\n"
        "{% macro default__mask_contact_data(column) -%}\n"
        f"    {body}\n"
        "{%- endmacro %}\n"
        "\n"
        "{#- Spark: regexp_replace replaces every match and reads a fourth argument as the\n"
        "    start position (the 'g' flag would make it NULL); groups are $1 (java.util.regex),\n"
        "    a digit after a group is escaped (\\0), and Spark string literals double \\. -#}\n"
        "{% macro spark__mask_contact_data(column) -%}\n"
        f"    {spark_body}\n"
        "{%- endmacro %}\n"
        "\n"
        "{#- An id, owner or account key masked like text; when masking changed it, '~' and\n"
        "    the first 8 hex digits of the MD5 of the original keep two different ids apart\n"
        "    (core.masking.mask_identifier). -#}\n"
        "{% macro mask_identifier(column) -%}\n"
        "    case\n"
        "        when {{ mask_contact_data(column) }} = {{ column }} then {{ column }}\n"
        "        else {{ mask_contact_data(column) }}\n"
        f"            || '{ID_HASH_SEPARATOR}' || substr(md5({{{{ column }}}}), 1, "
        f"{ID_HASH_DIGITS})\n"
        "    end\n"
        "{%- endmacro %}\n"
    )


def write_dbt_macro(path: Path = DBT_MACRO) -> Path:
    """Write the generated macro file; returns its path."""
    path.write_text(render_dbt_macro(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - a developer command
    sys.stdout.write(f"wrote {write_dbt_macro()}\n")
