"""Alembic migrations up/down/up and the ``bastion audit`` CLI, on SQLite and
(when configured) PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from bastion.cli import main
from bastion.errors import ConfigError, InputError
from bastion.store import PrivacyStore, migrate
from bastion.store.cli import parse_duration, parse_head, parse_when
from bastion.store.db import create_store_engine, parse_url
from bastion.store.schema import ALL_TABLES, audit_events
from helpers_store import table_names, url_fixture
from sqlalchemy import insert, inspect, text, update
from sqlalchemy.exc import DBAPIError


@pytest.fixture(autouse=True)
def audit_key(monkeypatch, tmp_path):
    # The CLI reads the key from the environment, like a deployment would; an empty
    # BASTION_HOME keeps a real ~/.local/share/bastion/audit.key out of the tests.
    monkeypatch.setenv("BASTION_AUDIT_HMAC_KEY", "k" * 32)
    monkeypatch.delenv("BASTION_AUDIT_HMAC_KEY_FILE", raising=False)
    monkeypatch.delenv("BASTION_DB_URL", raising=False)
    monkeypatch.delenv("BASTION_STORE_URL", raising=False)
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))


url = url_fixture()


def tables(url: str) -> set[str]:
    return table_names(url) & set(ALL_TABLES)


def test_upgrade_downgrade_upgrade(url):
    store_tables = set(ALL_TABLES)
    assert migrate.current(url) is None and tables(url) == set()
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.HEAD and tables(url) == store_tables

    with PrivacyStore(url) as s:
        s.audit.append("before-downgrade")
    # s34 H1: a keyed chain has no 0001/0002 form; dropping the store is still possible
    with pytest.raises(InputError, match="keyed"):
        migrate.downgrade(url, "0001")
    migrate.downgrade(url, "base")
    migrate.upgrade(url, "0001")
    # 0001 has the tables but not the triggers: UPDATE goes through
    assert migrate.current(url) == "0001"
    engine = create_store_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(audit_events).values(_v1_row()))
        assert conn.execute(update(audit_events).values(severity="low")).rowcount == 1
    engine.dispose()

    migrate.downgrade(url, "base")
    assert migrate.current(url) is None and tables(url) == set()

    migrate.upgrade(url)
    migrate.upgrade(url)  # idempotent at head
    assert migrate.current(url) == migrate.HEAD and tables(url) == store_tables
    with PrivacyStore(url, migrate=False) as s:
        s.audit.append("after")
        assert s.verify().ok and s.audit.count() == 1
        with pytest.raises(DBAPIError, match="refused"), s.engine.begin() as conn:
            conn.execute(update(audit_events).values(severity="low"))


def _v1_row() -> dict:
    return {
        "id": 1,
        "ts": datetime(2025, 6, 1, tzinfo=timezone.utc),
        "event_type": "check",
        "severity": "high",
        "labels": "[]",
        "details": "{}",
        "prev_hash": "0" * 64,
        "hash": "0" * 64,
    }


def test_store_without_schema_is_a_config_error(url):
    with pytest.raises(ConfigError, match="bastion audit init"):
        PrivacyStore(url, migrate=False)


def test_schema_at_old_revision_is_a_config_error(url):
    migrate.upgrade(url, "0001")
    with pytest.raises(ConfigError, match="found 0001"):
        PrivacyStore(url, migrate=False)
    PrivacyStore(url).close()  # migrate=True brings it to head
    assert migrate.current(url) == migrate.HEAD


@pytest.mark.parametrize(
    ("bad_url", "message"),
    [
        ("not a url", "invalid database URL"),
        ("mysql://u@localhost/db", "unsupported database"),
        ("sqlite:////nonexistent-dir-bastion/x.db", "does not exist"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot use database"),
    ],
)
def test_bad_database_urls(bad_url, message):
    with pytest.raises(ConfigError, match=message):
        PrivacyStore(bad_url)


def test_plain_postgresql_url_gets_psycopg3():
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_sqlite_file_is_owner_only(tmp_path):
    PrivacyStore(f"sqlite:///{tmp_path / 'p.db'}").close()
    assert (tmp_path / "p.db").stat().st_mode & 0o777 == 0o600


# --- CLI -------------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["audit", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_end_to_end(url, capsys, tmp_path):
    rc, out, err = run(capsys, "verify", "--db", url)
    assert rc == 1 and "bastion audit init" in err  # no store yet: a runtime error, with the fix
    rc, out, _ = run(capsys, "migrate", "--db", url)
    assert rc == 0 and json.loads(out) == {"from": None, "to": migrate.HEAD}

    with PrivacyStore(url, audit_key=b"k" * 32) as s:
        s.consent.grant("alice", "analytics", "v1")
        for sev in ("high", "low", "low"):
            s.audit.append("check", severity=sev, labels=["EMAIL_ADDRESS"])

    rc, out, _ = run(capsys, "verify", "--db", url)
    assert rc == 0 and json.loads(out)["ok"] and json.loads(out)["checked"] == 4

    rc, out, _ = run(capsys, "stats", "--since", "1d", "--db", url)
    stats = json.loads(out)
    assert rc == 0 and stats["total"] == 4 and stats["by_severity"] == {"info": 1, "low": 2, "high": 1}

    rc, out, _ = run(capsys, "export", "--since", "2000-01-01", "--db", url)
    lines = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and [e["id"] for e in lines] == [1, 2, 3, 4] and lines[1]["labels"] == ["EMAIL_ADDRESS"]
    assert "alice" not in out

    dest = tmp_path / "export.jsonl"
    rc, out, err = run(capsys, "export", "--db", url, "--since", "2999-01-01", "--out", str(dest))
    assert rc == 0 and dest.read_text() == "" and "exported 0 events" in err

    assert dest.stat().st_mode & 0o777 == 0o600
    loose = tmp_path / "loose.jsonl"
    loose.write_text("old")
    loose.chmod(0o644)
    rc, _, _ = run(capsys, "export", "--db", url, "--out", str(loose))
    assert rc == 0 and loose.stat().st_mode & 0o777 == 0o600 and "old" not in loose.read_text()

    rc, out, _ = run(capsys, "erase", "alice", "--vacuum", "--db", url)
    assert rc == 0 and json.loads(out)["consent_records"] == 1

    rc, out, _ = run(capsys, "seal", "--db", url)  # a new store is sealed by its first write
    assert rc == 0 and json.loads(out) == {"sealed": False, "event_id": None}
    rc, out, _ = run(capsys, "verify", "--db", url)
    head = json.loads(out)
    expect = f"{head['head_id']}:{head['head_hash']}"

    rc, out, _ = run(capsys, "purge", "--older-than", "0s", "--db", url)
    assert rc == 0 and json.loads(out)["deleted"] == 5
    rc, out, _ = run(capsys, "--db", url, "verify", "--expect-head", expect)  # --db first works too
    assert rc == 0 and json.loads(out)["anchored_at"] == 6
    rc, out, _ = run(capsys, "verify", "--db", url, "--expect-head", f"7:{'0' * 64}")
    assert rc == 3 and "rolled back" in json.loads(out)["reason"]

    rc, out, _ = run(capsys, "migrate", "--db", url, "--down-to", "base")
    assert rc == 0 and json.loads(out)["to"] is None


def test_cli_verify_fails_on_a_broken_chain(url, capsys):
    with PrivacyStore(url, audit_key=b"k" * 32) as s:
        for _ in range(3):
            s.audit.append("check")
        with s.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            conn.execute(update(audit_events).where(audit_events.c.id == 2).values(severity="low"))
    rc, out, _ = run(capsys, "verify", "--db", url)
    report = json.loads(out)
    assert rc == 3 and report["first_bad_id"] == 2 and "edited" in report["reason"]
    rc, _, err = run(capsys, "purge", "--older-than", "0s", "--db", url)
    assert rc == 3 and "refusing to purge a broken chain" in err


def test_cli_verify_needs_the_key(url, capsys, monkeypatch, tmp_path):
    migrate.upgrade(url)
    monkeypatch.delenv("BASTION_AUDIT_HMAC_KEY")
    rc, _, err = run(capsys, "verify", "--db", url)
    # a runtime error (1, not the usage status 2), naming both fixes; no key is generated
    # for a store named explicitly
    assert rc == 1 and "BASTION_AUDIT_HMAC_KEY" in err and "bastion audit init" in err
    assert not (tmp_path / "home" / "audit.key").exists()


def test_cli_uses_env_db_url(url, capsys, monkeypatch):
    monkeypatch.setenv("BASTION_DB_URL", url)
    assert run(capsys, "migrate")[0] == 0
    rc, out, _ = run(capsys, "verify")
    assert rc == 0 and json.loads(out)["ok"]


@pytest.mark.parametrize(
    "argv",
    [
        ["purge", "--older-than", "90"],
        ["purge"],
        ["stats", "--since", "yesterday"],
        ["erase"],
        ["frobnicate"],
    ],
)
def test_cli_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["audit", *argv])
    assert exc.value.code == 2


def test_cli_without_subcommand_prints_help(capsys):
    rc, _, err = run(capsys)
    assert rc == 2 and "verify" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        (" 30m ", timedelta(minutes=30)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "90", "d", "-1d", "1.5d", "9x", "99999999999d"])
def test_parse_duration_rejects(text):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)


def test_parse_when_of_a_duration_past_year_one_is_a_usage_error():
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        parse_when("1000000d")


def test_parse_when():
    assert parse_when("2026-01-01T10:00:00Z").utcoffset() == timedelta(0)
    assert parse_when("2026-01-01T10:00:00+02:00") == datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    assert parse_when("2026-01-01T10:00:00+02:00").utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_parse_when_outside_the_years_in_utc_is_a_usage_error(text):
    import argparse

    # the offset once applied only later, in the query: OverflowError and a traceback
    with pytest.raises(argparse.ArgumentTypeError, match="outside years"):
        parse_when(text)
    assert parse_when("2026-01-01").tzinfo is not None


def test_cli_on_missing_sqlite_file_does_not_create_it(tmp_path, capsys):
    db = tmp_path / "missing.db"
    rc, _, err = run(capsys, "verify", "--db", f"sqlite:///{db}")
    assert rc == 1 and "no SQLite database" in err and not db.exists()


def test_no_maintenance_switch_is_left_and_the_head_row_exists(url):
    migrate.upgrade(url)
    engine = create_store_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        assert "audit_maintenance" not in names and "audit_chain_anchor" not in names
        with engine.connect() as conn:
            head = conn.execute(text("SELECT id, start_id, last_id, mac FROM audit_chain_head")).all()
        assert head == [(1, 1, 0, None)]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("3:" + "a" * 64, True),
        ("3:" + "A" * 64, False),
        ("3", False),
        ("x:" + "a" * 64, False),
        ("3:ab", False),
    ],
)
def test_parse_head(text, ok):
    import argparse

    if ok:
        assert parse_head(text) == (3, "a" * 64)
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            parse_head(text)
