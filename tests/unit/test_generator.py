"""Tests of the synthetic landing-data generator (crm_pipeline/generator/).

The generator feeds the demo and the end-to-end tests, so these tests check the promises
the rest of the pipeline relies on: determinism, contract-conformant headers and values
(checked here by an independent mini-validator written from sources.md), deliberate
faults only when asked for (and counted), rows filed under the right day, realistic funnel
behaviour, and output that does not depend on how rows were spilled to disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.contract import load_contract, normalise_header, normalise_value
from crm_pipeline.generator import (
    ENTITIES,
    GenerationSummary,
    GeneratorOptions,
    generate,
    generation_strings,
)

CONTRACT = load_contract()
START = dt.date(2026, 1, 1)
END = dt.date(2026, 3, 31)
EVENT_TIME = {"leads": "updated_at", "follow_ups": "occurred_at", "service_records": "opened_at"}
SMALL = GeneratorOptions(leads=300, start=START, end=END, seed=7)


# ---------------------------------------------------------------------------------------
# An independent reader and validator, written from sources.md (not from the generator)
# ---------------------------------------------------------------------------------------

_TS_PATTERNS = (
    re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{1,2}):(\d{2})"),
)
_BOOLEANS = {"true", "false", "yes", "no", "1", "0", "是", "否"}


def parse_ts(value: str) -> dt.datetime:
    for pattern in _TS_PATTERNS:
        match = pattern.fullmatch(value)
        if match:
            return dt.datetime(*(int(g) for g in match.groups()))
    raise ValueError(f"unparseable timestamp {value!r}")


def parse_money(value: str) -> float:
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "").lstrip("¥")
    factor = 1
    if text.endswith("万"):
        text, factor = text[:-1], 10_000
    elif text.endswith("亿"):
        text, factor = text[:-1], 100_000_000
    return float(text) * factor


def enum_key(enum: str, value: str) -> str | None:
    return CONTRACT.enums[enum].alias_map().get(normalise_value(value))


def account_key(name: str | None, account_id: str | None) -> str:
    if account_id:
        return account_id
    text = unicodedata.normalize("NFKC", name or "").strip()
    return re.sub(r"\s+", " ", text).lower()


def value_error(column, value: str) -> str | None:  # noqa: C901 - one branch per type
    try:
        if column.type == "timestamp":
            parse_ts(value)
        elif column.type == "date":
            dt.date.fromisoformat(value)
        elif column.type == "money":
            if parse_money(value) < (column.min or 0):
                return "negative"
        elif column.type == "integer":
            number = int(value)
            if not column.min <= number <= column.max:
                return "out of range"
        elif column.type == "number":
            number = float(value)
            if not column.min <= number <= column.max:
                return "out of range"
        elif column.type == "boolean":
            if normalise_value(value) not in _BOOLEANS:
                return "not a boolean"
        elif column.type == "enum":
            if enum_key(column.enum, value) is None:
                return "not in enum"
        elif column.type == "currency" and not re.fullmatch(r"[A-Z]{3}", value):
            return "not a currency"
    except ValueError as exc:
        return str(exc)
    return None


def row_errors(entity: str, row: dict, lead_ids: set[str] | None = None) -> list[str]:
    """What is wrong with one row, per the contract (empty list = valid)."""
    ent = CONTRACT.entity(entity)
    errors = []
    for column in ent.columns:
        value = row.get(column.name)
        if value is None or str(value).strip() == "":
            missing = column.required
            if column.required_when is not None:
                other = row.get(column.required_when.column) or ""
                key = enum_key("stage", other) if other else None
                missing = missing or key in column.required_when.in_
            if column.required_unless is not None:
                missing = missing or not row.get(column.required_unless)
            if missing:
                errors.append(f"{column.name}: missing")
            continue
        problem = value_error(column, str(value))
        if problem:
            errors.append(f"{column.name}: {problem}")
        if column.references is not None and lead_ids is not None and value not in lead_ids:
            errors.append(f"{column.name}: unknown reference")
    for rule in ent.rules:
        try:
            if parse_ts(row[rule.column]) < parse_ts(row[rule.not_before]):
                errors.append(rule.name)
        except (ValueError, TypeError, KeyError):
            pass
    return errors


def read_rows(folder: Path, entity: str, fmt: str = "csv", encoding: str = "utf-8") -> list:
    """(file date, canonical row dict) for every row of an entity, files in date order."""
    header_map = CONTRACT.entity(entity).header_map()
    out = []
    for path in sorted((folder / entity).glob(f"*.{fmt}")):
        day = dt.date.fromisoformat(path.name.split(".")[0])
        if fmt == "csv":
            with open(path, encoding=encoding, newline="") as handle:
                records = list(csv.DictReader(handle))
        elif fmt == "jsonl":
            with open(path, encoding=encoding) as handle:
                records = [json.loads(line) for line in handle]
        else:
            sheet = load_workbook(path, read_only=True).worksheets[0]
            table = list(sheet.iter_rows(values_only=True))
            records = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
        for record in records:
            row = {header_map[normalise_header(k)]: v for k, v in record.items()}
            out.append((day, row))
    return out


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------------------
# Fixtures: a few small data sets shared by the tests
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def en_csv(tmp_path_factory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("en_csv")
    return out, generate(out, SMALL)


@pytest.fixture(scope="module")
def zh_gbk(tmp_path_factory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("zh_gbk")
    options = GeneratorOptions(leads=300, seed=7, headers="zh", encoding="gbk")
    return out, generate(out, options)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("dirty")
    options = GeneratorOptions(leads=300, seed=7, headers="zh", dirty_rate=0.1)
    return out, generate(out, options)


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> tuple[Path, GenerationSummary]:
    """Enough leads for aggregate realism checks (still about a second)."""
    out = tmp_path_factory.mktemp("large")
    return out, generate(out, GeneratorOptions(leads=2500, seed=3))


# ---------------------------------------------------------------------------------------
# Determinism and streaming
# ---------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_other_seed_differs(en_csv, tmp_path):
    folder, summary = en_csv
    again = generate(tmp_path / "again", SMALL)
    other = generate(tmp_path / "other", GeneratorOptions(leads=300, seed=8))
    assert tree_digest(folder) == tree_digest(tmp_path / "again")
    assert again.rows == summary.rows
    assert tree_digest(tmp_path / "other") != tree_digest(folder)
    assert other.out_dir == tmp_path / "other"


def test_tiny_spill_batches_give_identical_output(en_csv, tmp_path):
    """Spilling every 7 rows (hundreds of flushes) must not change a single byte."""
    folder, _ = en_csv
    generate(tmp_path / "tiny", SMALL, spill_batch_rows=7)
    assert tree_digest(tmp_path / "tiny") == tree_digest(folder)


def test_no_spill_folder_is_left_behind(en_csv):
    folder, summary = en_csv
    assert sorted(p.name for p in folder.iterdir()) == sorted(ENTITIES)
    assert summary.files == sum(1 for _ in folder.rglob("*.csv"))


def test_xlsx_is_byte_deterministic(tmp_path):
    """openpyxl stamps archives with the wall clock; the generator must pin every stamp."""
    options = GeneratorOptions(leads=40, end=dt.date(2026, 1, 10), format="xlsx")
    generate(tmp_path / "a", options)
    generate(tmp_path / "b", options)
    digest = tree_digest(tmp_path / "a")
    assert digest and digest == tree_digest(tmp_path / "b")
    for path in (tmp_path / "a").rglob("*.xlsx"):
        with zipfile.ZipFile(path) as archive:
            assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            core = archive.read("docProps/core.xml").decode()
        stamps = re.findall(r"\d{4}-\d\d-\d\dT[\d:]+Z", core)
        assert stamps == ["2026-01-10T23:59:00Z"] * 2


def test_headers_language_does_not_change_the_simulated_data(en_csv, zh_gbk):
    (_, en), (_, zh) = en_csv, zh_gbk
    assert en.rows == zh.rows


def test_progress_messages_and_option_validation(tmp_path):
    messages: list[str] = []
    generate(tmp_path / "p", GeneratorOptions(leads=10, end=dt.date(2026, 1, 5)), messages.append)
    assert any("leads" in m for m in messages)
    with pytest.raises(ValueError, match="before"):
        generate(tmp_path / "x", GeneratorOptions(start=END, end=START))
    with pytest.raises(ValueError, match="dirty"):
        generate(tmp_path / "x", GeneratorOptions(dirty_rate=1.5))


# ---------------------------------------------------------------------------------------
# Headers, encodings and formats
# ---------------------------------------------------------------------------------------


def _header(path: Path, encoding: str = "utf-8") -> list[str]:
    with open(path, encoding=encoding, newline="") as handle:
        return next(csv.reader(handle))


def test_english_headers_are_the_contract_names(en_csv):
    folder, _ = en_csv
    for entity in ENTITIES:
        first = sorted((folder / entity).glob("*.csv"))[0]
        assert _header(first) == CONTRACT.entity(entity).column_names


def test_chinese_headers_are_the_first_contract_aliases(zh_gbk):
    folder, _ = zh_gbk
    for entity in ENTITIES:
        first = sorted((folder / entity).glob("*.csv"))[0]
        expected = [c.aliases[0] for c in CONTRACT.entity(entity).columns]
        assert _header(first, "gbk") == expected


def test_gbk_files_decode_as_gbk_and_not_as_utf8(zh_gbk):
    folder, _ = zh_gbk
    for path in sorted(folder.rglob("*.csv"))[:20]:
        data = path.read_bytes()
        text = data.decode("gbk")
        assert re.search(r"[\u4e00-\u9fff]", text)
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")


def test_all_fixed_strings_encode_in_gbk():
    for text in generation_strings():
        text.encode("gbk")


def test_chinese_mode_mixes_aliases_keys_and_value_formats(zh_gbk):
    folder, _ = zh_gbk
    leads = [row for _, row in read_rows(folder, "leads", encoding="gbk")]
    stages = Counter(row["stage"] for row in leads)
    stage_keys = set(CONTRACT.enums["stage"].keys)
    assert sum(n for s, n in stages.items() if s in stage_keys) > 0.1 * len(leads)
    assert sum(n for s, n in stages.items() if s not in stage_keys) > 0.4 * len(leads)
    assert {row["decision_maker_reached"] for row in leads} - {""} == {"是", "否"}
    stamps = [row["updated_at"] for row in leads]
    assert any("年" in s for s in stamps) and any("/" in s for s in stamps)
    assert sum(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", s) is not None for s in stamps) > (
        0.6 * len(stamps)
    )
    budgets = [row["budget"] for row in leads]
    assert any(b.endswith("万") for b in budgets) and any("," in b for b in budgets)
    assert any(b.startswith("￥") for b in budgets)  # U+00A5 is not in GBK


def test_english_mode_writes_keys_and_canonical_timestamps(en_csv):
    folder, _ = en_csv
    leads = [row for _, row in read_rows(folder, "leads")]
    assert {row["stage"] for row in leads} <= set(CONTRACT.enums["stage"].keys)
    assert {row["decision_maker_reached"] for row in leads} - {""} == {"true", "false"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r["updated_at"]) for r in leads)


def test_xlsx_cells_are_strings_and_phones_keep_leading_zero(tmp_path):
    options = GeneratorOptions(leads=200, end=dt.date(2026, 1, 20), format="xlsx", seed=5)
    generate(tmp_path, options)
    phones = []
    for path in sorted((tmp_path / "leads").glob("*.xlsx")):
        sheet = load_workbook(path, read_only=True).worksheets[0]
        table = list(sheet.iter_rows(values_only=True))
        assert list(table[0]) == CONTRACT.entity("leads").column_names
        for row in table[1:]:
            assert all(v is None or isinstance(v, str) for v in row)
            phones.append(row[table[0].index("contact_phone")])
    assert any(p and p.startswith("0") for p in phones)
    assert any(p and re.fullmatch(r"1\d{10}", p) for p in phones)
    rows = read_rows(tmp_path, "leads", fmt="xlsx")
    assert rows and all(not row_errors("leads", r) for _, r in rows)


def test_jsonl_lines_are_objects_with_contract_keys(tmp_path):
    options = GeneratorOptions(leads=100, end=dt.date(2026, 1, 31), format="jsonl", headers="zh")
    summary = generate(tmp_path, options)
    count = 0
    for entity in ENTITIES:
        names = [c.aliases[0] for c in CONTRACT.entity(entity).columns]
        for path in (tmp_path / entity).glob("*.jsonl"):
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                assert list(record) == names
                count += 1
    assert count == sum(summary.rows.values())


# ---------------------------------------------------------------------------------------
# Validity: clean when dirty_rate = 0, counted faults when dirty_rate > 0
# ---------------------------------------------------------------------------------------


def _errors(folder: Path, encoding: str = "utf-8") -> dict[str, list]:
    data = {e: read_rows(folder, e, encoding=encoding) for e in ENTITIES}
    lead_ids = {row["lead_id"] for _, row in data["leads"]}
    return {
        e: [(row, errs) for _, row in data[e] if (errs := row_errors(e, row, lead_ids))]
        for e in ENTITIES
    }


@pytest.mark.parametrize("which", ["en_csv", "zh_gbk"])
def test_dirty_rate_zero_gives_only_valid_rows(which, request):
    folder, summary = request.getfixturevalue(which)
    encoding = "gbk" if which == "zh_gbk" else "utf-8"
    assert summary.dirty_rows == dict.fromkeys(ENTITIES, 0)
    assert all(n > 0 for n in summary.rows.values())
    errors = _errors(folder, encoding)
    assert errors == dict.fromkeys(ENTITIES, [])


def test_dirty_rate_makes_counted_realistic_faults(dirty):
    folder, summary = dirty
    errors = _errors(folder)
    for entity in ENTITIES:
        assert len(errors[entity]) == summary.dirty_rows[entity], entity
    for entity in ("leads", "follow_ups"):
        share = summary.dirty_rows[entity] / summary.rows[entity]
        assert 0.05 < share < 0.15, (entity, share)
    kinds = Counter(err.split(":")[0] for _, errs in errors["follow_ups"] for err in errs)
    assert {"lead_id", "channel", "occurred_at"} <= set(kinds)
    lead_kinds = Counter(err for _, errs in errors["leads"] for err in errs)
    assert "stage: not in enum" in lead_kinds and "budget: negative" in lead_kinds


def test_validator_catches_the_documented_faults():
    """Guard the test's own validator: each fault kind from the brief is detected."""
    good = {
        "lead_id": "OPP-1",
        "created_at": "2026-01-02 10:00:00",
        "source": "展会",
        "account_name": "上海华启科技有限公司",
        "contact_name": "王伟",
        "requirement": "CRM",
        "budget": "120万",
        "owner": "张伟",
        "stage": "输单",
        "closed_at": "2026/1/5 10:00",
        "loss_reason": "价格过高",
        "probability": "0",
    }
    assert row_errors("leads", good) == []
    for change in (
        {"budget": "-5"},
        {"stage": "待定"},
        {"created_at": "2026-02-30 10:00:00"},
        {"loss_reason": ""},
        {"owner": ""},
        {"closed_at": "2025-12-31 10:00:00"},
    ):
        assert row_errors("leads", good | change), change


# ---------------------------------------------------------------------------------------
# Files per day, versions, funnel and customers
# ---------------------------------------------------------------------------------------


def test_files_are_dated_within_the_period_and_hold_that_days_rows(en_csv):
    folder, _ = en_csv
    for entity in ENTITIES:
        previous = None
        for day, row in read_rows(folder, entity):
            assert START <= day <= END
            when = parse_ts(row[EVENT_TIME[entity]])
            assert when.date() == day
            if previous is not None and previous[0] == day:
                assert when >= previous[1]  # sorted by time inside a file
            previous = (day, when)


def test_lead_versions_start_early_and_move_forward_in_time(en_csv):
    folder, _ = en_csv
    stage_order = CONTRACT.enums["stage"].keys
    versions: dict[str, list[dict]] = defaultdict(list)
    for _, row in read_rows(folder, "leads"):
        versions[row["lead_id"]].append(row)
    assert len(versions) == SMALL.leads
    for rows in versions.values():
        assert stage_order.index(rows[0]["stage"]) <= 1  # lead or contacted
        assert rows[0]["updated_at"] == rows[0]["created_at"]
        stamps = [parse_ts(r["updated_at"]) for r in rows]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        assert len({r["created_at"] for r in rows}) == 1
    final = Counter(rows[-1]["stage"] for rows in versions.values())
    assert final["won"] > 0 and final["lost"] > 0
    assert sum(n for s, n in final.items() if s not in ("won", "lost")) > 0


def test_follow_ups_belong_to_their_leads_life(en_csv):
    folder, _ = en_csv
    created = {}
    closed = {}
    for _, row in read_rows(folder, "leads"):
        created.setdefault(row["lead_id"], parse_ts(row["created_at"]))
        if row["closed_at"]:
            closed[row["lead_id"]] = parse_ts(row["closed_at"])
    per_lead = Counter()
    for _, row in read_rows(folder, "follow_ups"):
        when = parse_ts(row["occurred_at"])
        assert when >= created[row["lead_id"]]
        if row["lead_id"] in closed:
            assert when <= closed[row["lead_id"]]
        per_lead[row["lead_id"]] += 1
    assert max(per_lead.values()) >= 4 and len(per_lead) > 0.8 * SMALL.leads


def test_service_records_follow_won_deals_plus_some_legacy_customers(en_csv):
    folder, _ = en_csv
    won_at: dict[str, dt.datetime] = {}
    for _, row in read_rows(folder, "leads"):
        if row["stage"] == "won":
            key = account_key(row["account_name"], row["account_id"])
            won_at[key] = min(won_at.get(key, dt.datetime.max), parse_ts(row["closed_at"]))
    services = [row for _, row in read_rows(folder, "service_records")]
    legacy = [r for r in services if r["service_id"].startswith("SR-L")]
    customers = [r for r in services if not r["service_id"].startswith("SR-L")]
    assert customers and legacy
    for row in customers:
        key = account_key(row["account_name"], row["account_id"])
        assert key in won_at, row["account_name"]
        assert parse_ts(row["opened_at"]) >= won_at[key]
    assert len({account_key(r["account_name"], r["account_id"]) for r in customers}) > 3


def test_realistic_aggregates(large):
    """Managers will look at these numbers: they must tell a sensible story."""
    folder, summary = large
    leads = [row for _, row in read_rows(folder, "leads")]
    final = {row["lead_id"]: row for row in leads}  # files and rows are in time order
    created = Counter(parse_ts(r["created_at"]).date() for r in final.values())
    weekday = [n for d, n in created.items() if d.weekday() < 5]
    weekend = [n for d, n in created.items() if d.weekday() >= 5]
    assert sum(weekday) / len(weekday) > 2 * sum(weekend) / len(weekend)

    def win_rate(rows: list[dict]) -> float:
        won = sum(r["stage"] == "won" for r in rows)
        lost = sum(r["stage"] == "lost" for r in rows)
        return won / max(1, won + lost)

    by_source = defaultdict(list)
    by_owner = defaultdict(list)
    for row in final.values():
        by_source[row["source"]].append(row)
        by_owner[row["owner"]].append(row)
    assert win_rate(by_source["referral"]) > win_rate(by_source["advertising"]) + 0.1
    owner_rates = sorted(win_rate(rows) for rows in by_owner.values())
    assert 12 <= len(by_owner) <= 18 and owner_rates[-1] - owner_rates[0] > 0.1
    assert 0.1 < win_rate(list(final.values())) < 0.5
    assert {r["loss_reason"] for r in final.values() if r["stage"] == "lost"} >= {
        "价格过高",
        "选择竞品",
        "无法联系",
    }
    assert 1 <= len({r["team"] for r in final.values()} - {""}) <= 5

    budgets = sorted(parse_money(r["budget"]) for r in final.values())
    median = budgets[len(budgets) // 2]
    assert 100_000 < median < 800_000 and budgets[-1] > 2_000_000

    assert 3 < summary.rows["follow_ups"] / len(final) < 9
    assert 1.5 < summary.rows["leads"] / len(final) < 8
    services = [row for _, row in read_rows(folder, "service_records")]
    legacy = sum(r["service_id"].startswith("SR-L") for r in services) / len(services)
    assert 0.05 < legacy < 0.2
    rated = [int(r["satisfaction"]) for r in services if r["satisfaction"]]
    assert 0.45 < len(rated) / len(services) < 0.75 and sum(rated) / len(rated) > 3.5
    complaints = [
        int(r["satisfaction"]) for r in services if r["satisfaction"] and r["type"] == "complaint"
    ]
    assert complaints and sum(complaints) / len(complaints) < sum(rated) / len(rated)
    assert any(re.search(r"1\d{10}", r["notes"] or "") for _, r in read_rows(folder, "follow_ups"))
    variants = [
        r["account_name"]
        for r in services
        if r["account_name"] != r["account_name"].strip()
        or unicodedata.normalize("NFKC", r["account_name"]) != r["account_name"]
    ]
    assert variants  # exercises account-key normalisation


def test_service_ratio_tops_up_legacy_customers_only(en_csv, tmp_path):
    """--service-ratio 1.0 (the spec's volume) adds legacy customers' service records and
    nothing else: leads and follow-ups stay byte-identical, the ratio is reached."""
    folder, summary = en_csv
    options = GeneratorOptions(leads=300, start=START, end=END, seed=7, service_ratio=1.0)
    more = generate(tmp_path / "ratio", options)
    digest, default = tree_digest(tmp_path / "ratio"), tree_digest(folder)
    for entity in ("leads", "follow_ups"):
        assert {k: v for k, v in digest.items() if k.startswith(entity)} == {
            k: v for k, v in default.items() if k.startswith(entity)
        }
    assert summary.rows["service_records"] < 300 * 0.5  # the simulated ratio is well below 1
    # legacy customers are added whole, so the target is reached and passed by less than one
    # customer's records (one every ~25 days over 90 days; a handful at most)
    assert 300 <= more.rows["service_records"] < 300 + 30
    services = [row for _, row in read_rows(tmp_path / "ratio", "service_records")]
    assert len(services) == more.rows["service_records"]


def test_service_ratio_must_not_be_negative(tmp_path):
    with pytest.raises(ValueError, match="--service-ratio"):
        generate(tmp_path, GeneratorOptions(leads=10, service_ratio=-1.0))
