"""Upgrading a schema-0002 store (unkeyed SHA-256 chain, anchor table, maintenance
switch) to the keyed chain of 0003, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from bastion.errors import InputError
from bastion.store import GENESIS, PrivacyStore, migrate
from bastion.store.audit import SEAL_EVENT, AuditIntegrityError, row_hash
from bastion.store.db import create_store_engine
from bastion.store.schema import audit_events
from helpers_store import bypass_triggers, url_fixture
from sqlalchemy import delete, insert, inspect, select, text, update

UTC = timezone.utc
T0 = datetime(2025, 6, 1, 8, 0, 0, 250000, tzinfo=UTC)
KEY = b"upgrade-test-audit-key-012345678"
ev = audit_events.c


url = url_fixture()


def v1_row(rid: int, prev: str, **over) -> dict:
    """A row exactly as schema-0002 code wrote it."""
    row = {
        "id": rid,
        "ts": T0 + timedelta(seconds=rid),
        "user_pseudonym": f"u_{rid % 2}",
        "event_type": "pii",
        "severity": "low",
        "labels": '["EMAIL_ADDRESS"]',
        "action": "redact",
        "text_hmac": None,
        "request_id": f"req-{rid}",
        "key_id": None,
        "details": '{"counts":{"EMAIL_ADDRESS":1}}',
        "prev_hash": prev,
        **over,
    }
    cols = ("id", "ts", "user_pseudonym", "event_type", "severity", "labels", "action", "text_hmac")
    cols += ("request_id", "key_id", "details", "prev_hash")
    row["hash"] = row_hash(*[row[c] for c in cols])
    return row


def make_0002_store(url: str, n: int = 8, purged: int = 3) -> list[dict]:
    """A 0002 store with rows 1..n, of which 1..purged were removed by a 0002 purge."""
    migrate.upgrade(url, "0002")
    rows, prev = [], GENESIS
    for rid in range(1, n + 1):
        rows.append(v1_row(rid, prev))
        prev = rows[-1]["hash"]
    engine = create_store_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(audit_events), rows)
            if purged:
                pg = conn.dialect.name == "postgresql"
                if pg:
                    conn.execute(text("SELECT set_config('bastion.maintenance', 'on', true)"))
                else:
                    conn.execute(text("UPDATE audit_maintenance SET active = 1"))
                conn.execute(delete(audit_events).where(ev.id <= purged))
                conn.execute(
                    text(
                        "INSERT INTO audit_chain_anchor (ts, first_id, prev_hash, purged) VALUES (:ts, :f, :p, :n)"
                    ),
                    {
                        "ts": T0 if pg else T0.replace(tzinfo=None),
                        "f": purged + 1,
                        "p": rows[purged - 1]["hash"],
                        "n": purged,
                    },
                )
                if not pg:
                    conn.execute(text("UPDATE audit_maintenance SET active = 0"))
    finally:
        engine.dispose()
    return rows


def ddl(store: PrivacyStore, *stmts) -> None:
    with store.engine.begin() as conn:
        bypass_triggers(conn)
        for stmt in stmts:
            conn.execute(stmt)


def test_upgrade_keeps_the_rows_and_the_first_keyed_write_seals_them(url):
    rows = make_0002_store(url)
    with PrivacyStore(url, audit_key=KEY) as s:  # migrates to head
        assert migrate.current(url) == migrate.HEAD
        assert [e.id for e in s.audit.events()] == [4, 5, 6, 7, 8]
        assert s.audit.head() == (8, rows[-1]["hash"])
        report = s.verify()
        assert not report.ok and "not sealed" in report.reason and report.checked == 5

        # s34 H1: no ordinary write seals (it would vouch for hashes anyone can recompute)
        with pytest.raises(AuditIntegrityError, match="bastion audit seal"):
            s.audit.append("after")
        assert s.seal() == 9
        after = s.audit.append("after")
        events = list(s.audit.events())
        seal = events[-2]
        assert (seal.id, seal.event_type, after.id) == (9, SEAL_EVENT, 10)
        assert seal.prev_hash == rows[-1]["hash"]  # the keyed chain continues the legacy one
        assert dict(seal.details) | {"checked": 5} == {
            "legacy_first_id": 4,
            "legacy_start_prev": rows[2]["hash"],
            "legacy_through": 8,
            "legacy_last_hash": rows[-1]["hash"],
            "checked": 5,
        }
        report = s.verify()
        assert (report.ok, report.checked, report.anchored_at, report.head_id) == (True, 7, 4, 10)
        assert s.seal() is None  # already sealed


def test_explicit_seal_and_empty_legacy_store(url):
    make_0002_store(url, n=3, purged=0)
    with PrivacyStore(url, audit_key=KEY) as s:
        assert s.seal() == 4
        assert s.verify().ok and s.verify().checked == 4


def test_empty_0002_store_upgrades_like_a_new_one(url):
    migrate.upgrade(url, "0002")
    with PrivacyStore(url, audit_key=KEY) as s:
        assert s.verify().ok and s.seal() is None
        s.audit.append("first")
        assert [e.event_type for e in s.audit.events()] == ["first"] and s.verify().ok


@pytest.mark.parametrize(
    ("tamper", "bad_id", "reason"),
    [
        (lambda rows: [update(audit_events).where(ev.id == 6).values(severity="info")], 6, "legacy hash"),
        ("rechain", 9, "prev_hash does not match"),
        (lambda rows: [delete(audit_events).where(ev.id == 4)], 5, "should start at id 4"),
        (lambda rows: [delete(audit_events).where(ev.id == 7)], 8, "expected id 7"),
    ],
    ids=[
        "legacy-row-edited",
        "legacy-rows-rechained-unkeyed",
        "legacy-oldest-deleted",
        "legacy-middle-deleted",
    ],
)
def test_legacy_rows_are_protected_once_sealed(url, tamper, bad_id, reason):
    rows = make_0002_store(url)
    with PrivacyStore(url, audit_key=KEY) as s:
        s.seal()
        s.audit.append("after")
        assert s.verify().ok
        if tamper == "rechain":
            # edit row 6 and recompute the unkeyed hashes of 6..8: fine for 0002's verify,
            # but the MAC'd seal event (row 9) still links to the old row 8
            new, prev = [], rows[4]["hash"]
            for r in rows[5:]:
                fixed = v1_row(r["id"], prev, severity="info" if r["id"] == 6 else r["severity"])
                new.append(fixed)
                prev = fixed["hash"]
            ddl(s, delete(audit_events).where(ev.id.between(6, 8)), insert(audit_events).values(new))
        else:
            ddl(s, *tamper(rows))
        report = s.verify()
        assert (report.ok, report.first_bad_id) == (False, bad_id) and reason in report.reason


def test_a_broken_legacy_chain_is_not_sealed(url):
    make_0002_store(url)
    with PrivacyStore(url, audit_key=KEY) as s:
        ddl(s, update(audit_events).where(ev.id == 5).values(action="allow"))
        with pytest.raises(AuditIntegrityError, match="does not verify"):
            s.seal()
        with pytest.raises(AuditIntegrityError, match="bastion audit seal"):
            s.audit.append("after")
        report = s.verify()
        assert (report.ok, report.first_bad_id) == (False, 5)
        assert s.audit.count() == 5


def test_purging_legacy_rows_after_the_seal(url):
    make_0002_store(url)
    with PrivacyStore(url, audit_key=KEY) as s:
        s.seal()
        s.audit.append("after")
        receipt = s.purge(timedelta(days=1), now=T0 + timedelta(days=1, seconds=6))
        assert receipt.deleted == 2 and receipt.first_remaining_id == 6  # legacy rows 4, 5
        assert s.verify().ok and s.verify().anchored_at == 6
        everything = s.purge(timedelta(0), now=datetime.now(UTC) + timedelta(days=1))
        assert everything.deleted == 6 and s.verify().ok


def test_downgrade_to_0002_restores_its_schema(url):
    make_0002_store(url, n=2, purged=1)
    PrivacyStore(url, audit_key=KEY).close()  # upgraded, never written with the key
    migrate.downgrade(url, "0002")
    engine = create_store_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        assert "audit_chain_anchor" in names and "audit_chain_head" not in names
        assert ("audit_maintenance" in names) == (engine.dialect.name == "sqlite")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT first_id FROM audit_chain_anchor")).scalars().all() == [2]
            assert conn.execute(select(ev.id)).scalars().all() == [2]
    finally:
        engine.dispose()
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.HEAD
    with PrivacyStore(url, audit_key=KEY) as s:
        s.seal()
    # s34 H1: a keyed chain has no 0002 form (its rows would verify with unkeyed hashes only)
    with pytest.raises(InputError, match="keyed"):
        migrate.downgrade(url, "0002")
