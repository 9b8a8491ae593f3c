"""GBK/GB18030 CSV files through the DuckDB path (issue 14): read from a UTF-8 copy in a
temporary folder beside the database, they load exactly what the Python reader loads from
the original (raw rows, ``_raw``, ``_errors``, row numbers, hashes, file_loads, quarantine
sentences naming the original file), alone and in runs of small files; the copy is gone
after the load, whether it succeeded or failed; and no encoding is copied unless a line
break byte can never be part of one of its characters."""

from __future__ import annotations

import codecs
import datetime as dt
import encodings.aliases
from pathlib import Path

import duckdb
import pytest

from core.contract import load_contract
from core.settings import FolderConfig, Settings
from ingestion import csv_engine, loader
from ingestion.csv_engine import TRANSCODED, utf8_copy
from ingestion.loader import load_landing
from ingestion.readers import GB_FAMILY
from quality.checks import run_quality_checks

AS_OF = dt.date(2026, 3, 31)
LEADS = (
    "商机编号,创建时间,更新时间,来源,客户名称,客户编号,联系人,联系电话,邮箱,需求,预算,"
    "预计金额,币种,负责人,团队,阶段,赢率,预计成交日期,成交日期,输单原因,紧急程度,"
    "是否接触决策人,行业,地区,内部备注"
)
# rows with Chinese dates, 万/亿 and ￥ money, a quoted comma, full-width text and, in
# L005 and L010, bad values (a budget that is no amount, a date that does not exist)
ROWS = [
    "L001,2026-03-01 09:30:00,2026-03-05 10:00,官网,ＡＢＣ科技 ,,张伟,013812345678,"
    'zhang@example.com,CRM系统,120万,"1,500,000.00",CNY,王芳,华东一组,方案报价,60,'
    "2026/4/30,,,高,是,制造业,上海,a",
    "L002,2026/3/2 14:05,2026年3月6日 9:00,展会,abc科技,,李娜,13900001111,,ERP实施,"
    "￥800000,,,王芳,华东一组,赢单,,2026年4月1日,2026-03-06T09:00:00+08:00,,中,否,制造业,上海,b",
    "L003,2026-03-03,,转介绍,星辰贸易,C-0099,赵强,,,数据分析,1.2亿,,人民币,刘洋,华南组,"
    "输单,0,,2026-03-20 18:00,预算不足,低,n,零售,广州,c",
    'L004,2026年3月4日,,官网,"星辰, 贸易",,钱七,,,"报表,看板",￥12.5万,,rmb,刘洋,华南组,'
    "线索,10%,2026年5月1日,,,低,否,零售,广州,",
    "L005,2026-03-05 08:00,,展会,甲公司,,孙八,,,CRM,约十万,,CNY,王芳,华东一组,线索,,"
    "2026年2月30日,,,中,是,制造业,上海,d",
]
FOLLOW_UPS = (
    "跟进编号,商机编号,跟进时间,跟进人,跟进方式,跟进后阶段,下次跟进时间,跟进内容,更新时间\n"
    "F001,L001,2026-03-02 10:00,王芳,电话,初步接触,2026-03-09 10:00,客户说预算￥120万,"
    "2026-03-02 10:00\n"
    'F002,L002,2026年3月3日 15:00,王芳,拜访,方案报价,,"带了样品, 客户满意",\n'
    "F003,L003,昨天,刘洋,微信,输单,,预算不足,\n"
)


def _leads(rows: list[str], renumber: int = 0) -> str:
    renumbered = [f"L{int(r[1:4]) + renumber:03d}" + r[4:] for r in rows]
    return LEADS + "\n" + "".join(r + "\n" for r in renumbered)


def _gbk_landing(root: Path) -> Path:
    """Three small GBK leads files of one header (a run), one whose quoted cell holds a
    line break (the Python reader's alone), and a GBK follow-ups file."""
    landing = root / "landing"
    files = {
        "leads/2026-03-06a.csv": _leads(ROWS),
        "leads/2026-03-06b.csv": _leads(ROWS, 10),
        "leads/2026-03-06c.csv": _leads(ROWS[:2], 20),
        "leads/2026-03-07.csv": _leads(ROWS[:1], 30).replace("CRM系统", '"CRM\n系统"'),
        "follow_ups/2026-03-06.csv": FOLLOW_UPS,
    }
    for name, text in files.items():
        path = landing / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("gbk"))
    return landing


def _load(
    landing: Path,
    database: Path,
    engine: bool,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings | None = None,
) -> list[int]:
    """Load and check ``landing`` into ``database``, with or without the DuckDB path; the
    number of files each INSERT of the DuckDB path wrote."""
    written: list[int] = []
    real_insert = csv_engine.insert_raw

    def counting_insert(*args: object, **kwargs: object) -> dict[str, int]:
        rows = real_insert(*args, **kwargs)  # type: ignore[arg-type]
        written.append(len(rows))
        return rows

    with monkeypatch.context() as patch:
        patch.setattr(loader, "insert_raw", counting_insert)
        patch.setattr(loader, "ENGINE_MIN_BYTES", 0)  # small files, as a test needs them
        if not engine:
            patch.setattr(loader, "stage_csv", lambda *args, **kwargs: None)
        with duckdb.connect(str(database)) as con:
            load_landing(con, landing, settings or Settings(), run_id="r1", as_of_date=AS_OF)
            run_quality_checks(con, settings or Settings(), run_id="r1", as_of_date=AS_OF)
    return written


def _differences(python: Path, engine: Path, table: str, columns: str) -> tuple[int, int]:
    """Rows of ``table`` in one database and not the other (a multiset difference)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{python}' as p (read_only)")
        con.execute(f"attach '{engine}' as e (read_only)")
        only = []
        for first, second in (("p", "e"), ("e", "p")):
            only.append(
                con.execute(
                    f"select count(*) from (select {columns} from {first}.{table} "
                    f"except all select {columns} from {second}.{table})"
                ).fetchall()[0][0]
            )
        return only[0], only[1]


def test_gbk_files_load_the_same_through_duckdb_as_through_the_python_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = _gbk_landing(tmp_path)
    python_db, engine_db = tmp_path / "python.duckdb", tmp_path / "engine.duckdb"
    assert _load(landing, python_db, False, monkeypatch) == []
    # the run of three leads files in one statement, then the follow-ups file; the file
    # with a quoted line break is the Python reader's
    assert _load(landing, engine_db, True, monkeypatch) == [3, 1]
    lineage = "_row_id, _file_hash, _source_file, _source_row, _load_seq, _account_key"
    for name, entity in load_contract().entities.items():
        contract = ", ".join(f'"{c.name}"' for c in entity.columns)
        columns = f"{contract}, {lineage}, _raw, _errors"
        assert _differences(python_db, engine_db, f"raw.{name}", columns) == (0, 0)
    quarantine = "entity, source_file, source_row, record_id, rule, column_name, detail, row_id"
    assert _differences(python_db, engine_db, "data_quality.quarantine", quarantine) == (0, 0)
    loads = "file_path, file_hash, entity, rows_read, rows_loaded, rows_quarantined, status"
    assert _differences(python_db, engine_db, "data_quality.file_loads", loads) == (0, 0)
    with duckdb.connect(str(engine_db), read_only=True) as con:
        counts = con.execute(
            "select entity, count(*), count(distinct source_file) from data_quality.quarantine "
            "group by all order by all"
        ).fetchall()
        # the bad budget and the 30 February of L005 and L015, read from their GBK files
        row = con.execute(
            "select budget, created_at, _source_row, _errors from raw.leads "
            "where lead_id = 'L004' and _source_file = 'leads/2026-03-06a.csv'"
        ).fetchall()
        sources = con.execute(
            "select distinct source_file from data_quality.quarantine order by 1"
        ).fetchall()
    assert counts and all(entity in ("leads", "follow_ups") for entity, _, _ in counts)
    assert ("leads/2026-03-06a.csv",) in sources and ("leads/2026-03-06b.csv",) in sources
    # hand-checked against sources.md: ￥12.5万 is 125,000; 2026年3月4日 is that midnight
    assert row == [(125000, dt.datetime(2026, 3, 4), 5, "[]")]


@pytest.mark.parametrize("configured", ["gbk", "cp936", "GB2312"])
def test_an_encoding_configured_for_the_folder_takes_the_duckdb_path_too(
    configured: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    for name, renumber in (("a.csv", 0), ("b.csv", 10)):
        path = landing / "leads" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_leads(ROWS[2:3], renumber).encode("gb2312"))
    settings = Settings(folders={"leads": FolderConfig(encoding=configured)})
    python_db, engine_db = tmp_path / "python.duckdb", tmp_path / "engine.duckdb"
    assert _load(landing, python_db, False, monkeypatch, settings) == []
    assert _load(landing, engine_db, True, monkeypatch, settings) == [2]
    columns = "lead_id, account_name, budget, _source_file, _source_row, _raw, _errors"
    assert _differences(python_db, engine_db, "raw.leads", columns) == (0, 0)
    with duckdb.connect(str(engine_db), read_only=True) as con:
        names = con.execute("select distinct account_name, budget from raw.leads").fetchall()
    assert names == [("星辰贸易", 120000000)]  # 1.2亿


def test_the_engine_reads_the_gbk_text_it_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = _gbk_landing(tmp_path)
    database = tmp_path / "engine.duckdb"
    _load(landing, database, True, monkeypatch)
    with duckdb.connect(str(database), read_only=True) as con:
        loaded = con.execute(
            "select account_name, budget, _source_row, _raw ->> '$.客户名称' from raw.leads "
            "where _source_file = 'leads/2026-03-06b.csv' and lead_id = 'L014'"
        ).fetchall()
        hashes = con.execute(
            "select file_path, file_hash from data_quality.file_loads order by 1"
        ).fetchall()
    assert loaded == [("星辰, 贸易", 125000, 5, "星辰, 贸易")]
    for path, file_hash in hashes:  # the hash is of the landed GBK bytes, not of a copy
        import hashlib

        assert file_hash == hashlib.sha256((landing / path).read_bytes()).hexdigest()


def test_the_utf8_copies_are_removed_after_a_load_and_after_a_failed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = _gbk_landing(tmp_path)
    build = tmp_path / "warehouse" / "build"
    build.mkdir(parents=True)
    copies: list[Path] = []
    real_copy = csv_engine.utf8_copy

    def noting_copy(*args: object) -> Path | None:
        copy = real_copy(*args)  # type: ignore[arg-type]
        if copy is not None:
            copies.append(copy)
        return copy

    monkeypatch.setattr(csv_engine, "utf8_copy", noting_copy)
    _load(landing, build / "crm.duckdb", True, monkeypatch)
    # the run's three leads files, the one whose quoted line break keeps it from DuckDB
    # (checked once, on its copy) and the follow-ups file
    assert len(copies) == 5
    assert all(copy.parent.parent == build for copy in copies)  # beside the database
    assert not any(copy.exists() for copy in copies)
    assert sorted(p.name for p in build.iterdir()) == ["crm.duckdb"]
    assert sorted(p.name for p in landing.rglob("*")) == sorted(
        ["leads", "follow_ups", "2026-03-06a.csv", "2026-03-06b.csv", "2026-03-06c.csv"]
        + ["2026-03-07.csv", "2026-03-06.csv"]
    )

    existed: list[bool] = []

    def failing_stage(con: object, files: list[csv_engine.PlainCsv]) -> None:
        existed.extend(f.path.exists() for f in files)
        raise RuntimeError("the disk is gone")

    copies.clear()
    monkeypatch.setattr(loader, "stage_csv", failing_stage)
    monkeypatch.setattr(loader, "ENGINE_MIN_BYTES", 0)
    with duckdb.connect(str(build / "again.duckdb")) as con, pytest.raises(RuntimeError):
        load_landing(con, landing, Settings(), run_id="r1", as_of_date=AS_OF)
    assert existed and all(existed) and copies
    assert not any(copy.exists() for copy in copies)
    assert sorted(p.name for p in build.iterdir() if p.is_dir()) == []


def _pending_prefixes(codec: str) -> list[bytes]:
    """Every byte string of up to three bytes that the codec holds, waiting for the rest of
    a character (the start of a multi-byte character)."""
    level, found = [b""], []
    for _ in range(3):
        longer = []
        for prefix in level:
            for byte in range(256):
                candidate = prefix + bytes([byte])
                try:
                    if codecs.getincrementaldecoder(codec)().decode(candidate) == "":
                        longer.append(candidate)
                except UnicodeDecodeError:
                    continue
        found += longer
        level = longer
    return found


def _line_breaks_stand_alone(codec: str) -> bool:
    """Whether 0x0A and 0x0D are always line breaks of their own in the codec: each decodes
    to itself, and after the start of a multi-byte character either one fails to decode
    rather than completing it. Then no character holds them, whole-file and line-by-line
    decoding give the same text, and the copy has the original's lines."""
    try:
        if b"\n".decode(codec) != "\n" or b"\r".decode(codec) != "\r":
            return False
    except UnicodeDecodeError:
        return False
    for prefix in _pending_prefixes(codec):
        for byte in b"\n\r":
            try:
                text = (prefix + bytes([byte])).decode(codec)
            except UnicodeDecodeError:
                continue
            if not text.endswith(chr(byte)) or len(text) < 2:
                return False
    return True


def _detectable() -> set[str]:
    """Every legacy multi-byte encoding ``readers.detect_encoding`` can return: GB18030, or
    a codec whose name starts like one of ``readers._MULTIBYTE`` (UTF-16 aside: rejected)."""
    from ingestion.readers import _MULTIBYTE

    names = set(encodings.aliases.aliases.values())
    found = {codecs.lookup(n).name for n in names if n.replace("-", "_").startswith(_MULTIBYTE)}
    return {"gb18030"} | {n for n in found if not n.startswith("utf")}


@pytest.mark.parametrize("codec", sorted(TRANSCODED))
def test_line_break_bytes_are_never_part_of_a_character(codec: str) -> None:
    assert _line_breaks_stand_alone(codec)


def test_every_multibyte_encoding_detected_or_of_the_gb_family_is_copied() -> None:
    assert _detectable() <= TRANSCODED
    assert {codecs.lookup(name).name for name in GB_FAMILY} - TRANSCODED == {"hz"}


@pytest.mark.parametrize("codec", ["hz", "utf-16-le"])
def test_the_check_refuses_encodings_whose_line_breaks_are_not_their_own(
    codec: str, tmp_path: Path
) -> None:
    # HZ's "~" continues a line over its break; UTF-16's 0x0A is half of many characters
    assert not _line_breaks_stand_alone(codec)
    (tmp_path / "a.csv").write_bytes("a,b\n甲,乙\n".encode(codec))
    assert utf8_copy(tmp_path / "a.csv", codec, tmp_path) is None
