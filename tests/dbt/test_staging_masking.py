"""Personal data typed into ids, owners, account names and free text is masked in staging
(quality.md, "Secrets and personal data"), the same way as core.masking does in Python,
while ids that masking changes stay distinct and joins keep matching."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import duckdb
import pytest

from core.masking import mask_identifier, mask_text
from core.settings import Settings
from ingestion.loader import load_landing
from tests.conftest import DbtHarness

AS_OF = dt.date(2026, 3, 31)
# the incremental bases mask each landed row; staging passes their columns on
MODELS = [
    "base_crm__leads",
    "base_crm__follow_ups",
    "base_crm__service_records",
    "stg_crm__leads",
    "stg_crm__follow_ups",
    "stg_crm__service_records",
]

LEADS = (
    "lead_id,created_at,source,account_name,contact_name,contact_phone,requirement,budget,"
    "owner,stage,loss_reason\n"
    # two ids that mask to the same text (138****5678) must stay two leads
    "13811115678,2026-03-01 09:00:00,website,客户 139-1111-0002,张伟,13900001111,CRM,1000,"
    "wang@example.com,lost,客户电话 +86-139-1111-0017 / (021)11110007\n"
    "13822225678,2026-03-02 09:00:00,website,Acme,李娜,,ERP,2000,王芳,lead,\n"
)
FOLLOW_UPS = (
    "follow_up_id,lead_id,occurred_at,owner,channel,notes\n"
    "F 139 1111 0003,13811115678,2026-03-03 10:00:00,王芳,call,回电 021-1111 0007\n"
)
SERVICE = (
    "service_id,account_name,opened_at,type,agent,notes\n"
    "S001,客户 139-1111-0002,2026-03-04 10:00:00,complaint,陈静 13700001234,邮箱 li@corp.cn\n"
)
RAW_PHONES = (
    "13811115678",
    "13822225678",
    "13911110002",
    "13911110017",
    "13911110003",
    "02111110007",
    "13700001234",
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtHarness]:
    root = tmp_path_factory.mktemp("masking")
    for entity, text in (
        ("leads", LEADS),
        ("follow_ups", FOLLOW_UPS),
        ("service_records", SERVICE),
    ):
        (root / "landing" / entity).mkdir(parents=True)
        (root / "landing" / entity / "2026-03-05.csv").write_text(text, encoding="utf-8")
    db_path = root / "build.duckdb"
    with duckdb.connect(str(db_path)) as con:
        results = load_landing(con, root / "landing", Settings(), run_id="t", as_of_date=AS_OF)
        assert {r.status for r in results} == {"loaded"}
    built = DbtHarness(db_path, root / "dbt_target")
    result = built.run("build", "--select", *MODELS, as_of=AS_OF)
    assert result.success, result.exception
    yield built


def _digits(value: object) -> str:
    return "".join(c for c in str(value) if c.isdigit())


def test_no_phone_or_mail_survives_in_masked_columns(harness: DbtHarness) -> None:
    for model in MODELS:
        for row in harness.query_dicts(f"select * from staging.{model}"):
            for column, value in row.items():
                if column in ("contact_phone", "contact_email") or value is None:
                    continue  # contact columns stay in staging; marts never select them
                for phone in RAW_PHONES:
                    assert phone not in _digits(value), (model, column, value)
                assert "wang@" not in str(value) and "li@corp" not in str(value)


def test_masked_values_equal_the_python_rule(harness: DbtHarness) -> None:
    leads = harness.query(
        "select lead_id, account_name, owner, loss_reason from staging.stg_crm__leads "
        "where stage = 'lost'"
    )
    assert leads == [
        (
            mask_identifier("13811115678"),
            "客户 139****0002",
            mask_identifier("wang@example.com"),
            "客户电话 139****0017 / 021****0007",
        )
    ]
    assert mask_text("客户 139-1111-0002") == "客户 139****0002"
    assert mask_identifier("wang@example.com") == "w***@example.com~" + _md5("wang@example.com")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()[:8]


def test_masked_ids_stay_distinct_and_joins_still_match(harness: DbtHarness) -> None:
    ids = [r[0] for r in harness.query("select lead_id from staging.stg_crm__leads")]
    assert len(set(ids)) == 2 and all(i.startswith("138****5678~") for i in ids)
    # the follow-up still points at its lead, the service record at the lead's account
    joined = harness.query(
        "select count(*) from staging.stg_crm__follow_ups as f "
        "join staging.stg_crm__leads as l on l.lead_id = f.lead_id "
        "where l.stage = 'lost'"
    )
    assert joined == [(1,)]
    accounts = harness.query(
        "select count(*) from staging.stg_crm__service_records as s "
        "join staging.stg_crm__leads as l on l.account_key = s.account_key"
    )
    assert accounts == [(1,)]
    follow_up = harness.query("select follow_up_id, notes from staging.stg_crm__follow_ups")
    assert follow_up == [(mask_identifier("F 139 1111 0003"), "回电 021****0007")]
