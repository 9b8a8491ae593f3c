"""The ``serving`` section (docs/scaling.md): the DSN only as an environment placeholder,
a reader role name safe to put in SQL, and DuckDB types mapped to PostgreSQL's."""

from __future__ import annotations

import pytest

from core.settings import ConfigError, Settings, load_config
from delivery.serving_postgres import postgres_type


def test_serving_is_off_by_default() -> None:
    assert Settings().serving is None


def test_a_literal_dsn_is_refused_so_no_password_sits_in_the_file(tmp_path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "serving:\n  target: postgres\n  dsn: host=db user=crm password=hunter2\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="serving.dsn: must be an environment placeholder"):
        load_config(path)


def test_the_placeholder_is_kept_unresolved_when_loading(tmp_path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("serving:\n  dsn: ${PG_DSN}\n", encoding="utf-8")
    serving = load_config(path).serving
    assert serving is not None
    assert (serving.target, serving.dsn, serving.reader_role) == (
        "postgres",
        "${PG_DSN}",
        "crm_reader",
    )


@pytest.mark.parametrize("role", ["Robert'); drop", "CRM", "1reader", ""])
def test_reader_role_must_be_a_plain_lower_case_name(role: str) -> None:
    with pytest.raises(ValueError, match="reader_role"):
        Settings.model_validate({"serving": {"dsn": "${PG_DSN}", "reader_role": role}})


def test_only_postgres_is_a_serving_target() -> None:
    with pytest.raises(ValueError, match="serving.target"):
        Settings.model_validate({"serving": {"target": "mysql", "dsn": "${PG_DSN}"}})


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("DECIMAL(18,2)", "numeric(18, 2)"),
        ("DOUBLE", "double precision"),
        ("VARCHAR", "text"),
        ("BIGINT", "bigint"),
        ("TIMESTAMP", "timestamp"),
        ("DATE", "date"),
        ("BOOLEAN", "boolean"),
        ("HUGEINT", "numeric(38, 0)"),
        ("VARCHAR[]", None),
        ("STRUCT(a INTEGER)", None),
    ],
)
def test_duckdb_types_map_to_postgresql_types(duckdb_type: str, expected: str | None) -> None:
    assert postgres_type(duckdb_type) == expected
