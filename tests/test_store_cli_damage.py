"""``bastion audit`` on a store damaged by hand: a one-line message and an exit status,
never a traceback, and an export that still reads every row it can (SQLite; PostgreSQL
when configured)."""

from __future__ import annotations

import json

import pytest
from bastion.cli import main
from bastion.store import PrivacyStore
from helpers_store import bypass_triggers, url_fixture
from sqlalchemy import create_engine

url = url_fixture()


@pytest.fixture(autouse=True)
def audit_key(monkeypatch, tmp_path):
    monkeypatch.setenv("BASTION_AUDIT_HMAC_KEY", "k" * 32)
    monkeypatch.delenv("BASTION_AUDIT_HMAC_KEY_FILE", raising=False)
    monkeypatch.delenv("BASTION_DB_URL", raising=False)
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))


@pytest.fixture
def store_url(url):
    with PrivacyStore(url, audit_key=b"k" * 32) as s:
        for i in range(6):
            s.audit.append("pii", severity="high", labels=["EMAIL"], action="redact", details={"n": i})
    return url


def run(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(["audit", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


def damage(url: str, *sql: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            bypass_triggers(conn)
            for s in sql:
                conn.exec_driver_sql(s)
    finally:
        engine.dispose()


EDITS = [
    pytest.param("UPDATE audit_events SET details = '{not json' WHERE id = 3", False, id="details-not-json"),
    pytest.param("UPDATE audit_events SET labels = '[[[' WHERE id = 3", False, id="labels-not-json"),
    pytest.param("UPDATE audit_events SET ts = 'yesterday' WHERE id = 3", True, id="ts-text"),
    pytest.param("UPDATE audit_events SET severity = x'ff00' WHERE id = 3", True, id="severity-blob"),
]


@pytest.mark.parametrize(("sql", "sqlite_only"), EDITS)
def test_export_of_an_edited_row_keeps_every_row_and_flags_it(store_url, capsys, tmp_path, sql, sqlite_only):
    if sqlite_only and not store_url.startswith("sqlite"):
        pytest.skip("only SQLite stores a value of another type in a typed column")
    damage(store_url, sql)
    out_file = tmp_path / "export.jsonl"
    # once: the rows before it, then a traceback (a truncated export, exit 1)
    rc, _, err = run(capsys, "export", "--db", store_url, "--out", str(out_file))
    assert rc == 3 and "ids 3" in err, err
    lines = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [r["id"] for r in lines] == [1, 2, 3, 4, 5, 6]
    assert "malformed_row" in lines[2] and all("malformed_row" not in r for r in lines[:2] + lines[3:])
    assert lines[5]["details"] == {"n": 5}
    rc, out, _ = run(capsys, "stats", "--since", "30d", "--db", store_url)
    # a row whose ts is not a time falls outside every range (SQLite compares the text)
    assert rc == 0 and json.loads(out)["total"] == (5 if "SET ts" in sql else 6)
    rc, out, _ = run(capsys, "verify", "--db", store_url)
    assert rc == 3 and json.loads(out)["first_bad_id"] == 3


@pytest.mark.parametrize("table", ["audit_events", "audit_chain_head"])
def test_a_dropped_table_is_a_broken_trail(store_url, capsys, table):
    damage(store_url, f"DROP TABLE {table}")
    for command in (["verify"], ["purge", "--older-than", "1d"], ["erase", "alice"]):
        rc, _, err = run(capsys, *command, "--db", store_url)
        assert rc == 3 and "store is damaged" in err and table in err, (command, err)


@pytest.mark.parametrize("content", [b"hello" * 1000, None], ids=["text", "truncated"])
def test_a_file_that_is_not_a_database_is_a_one_line_error(tmp_path, capsys, content):
    db = tmp_path / "s.db"
    with PrivacyStore(f"sqlite:///{db}", audit_key=b"k" * 32) as s:
        s.audit.append("pii")
    if content is None:
        with open(db, "r+b") as fh:
            fh.truncate(4096)
    else:
        db.write_bytes(content)
    for command in (["verify"], ["stats"], ["export"]):
        rc, _, err = run(capsys, *command, "--db", f"sqlite:///{db}")
        assert rc == 1 and err.count("\n") == 1 and "error:" in err, (command, err)
