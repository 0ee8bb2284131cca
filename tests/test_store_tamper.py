"""Issue 11 #3: every way to rewrite the audit trail with database access but without the
audit key, on SQLite and (when configured) PostgreSQL.

Two attackers: ``dml`` can only run INSERT/UPDATE/DELETE (the store's triggers stay
active), ``ddl`` bypasses the triggers first (SQLite: drops them; PostgreSQL:
``session_replication_role = replica``). The database refuses most of what ``dml`` tries;
whatever gets written by either is caught by ``verify`` (keyed MACs + the MAC'd head).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from bastion.errors import ConfigError
from bastion.store import GENESIS, PrivacyStore
from bastion.store.audit import AuditIntegrityError, ChainHead, chain_key, read_head, row_hash
from bastion.store.schema import audit_chain_head, audit_events
from helpers_store import bypass_triggers, url_fixture
from sqlalchemy import Connection, create_engine, delete, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

UTC = timezone.utc
KEY = b"tamper-test-audit-key-0123456789"
N = 20
ev = audit_events.c
head_t = audit_chain_head.c


url = url_fixture()


@pytest.fixture
def store(url):
    s = PrivacyStore(url, audit_key=KEY)
    for i in range(N):
        s.audit.append("pii" if i % 2 else "injection", severity="high", labels=["EMAIL"], action="block")
    assert s.verify().ok
    yield s
    s.close()


def rows(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(audit_events).order_by(ev.id))]


def attack(url: str, fn: Callable[[Connection], None], *, ddl: bool) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if ddl:
                bypass_triggers(conn)
            fn(conn)
    finally:
        engine.dispose()


def unkeyed(row: dict[str, Any]) -> str:
    """What an attacker without the key can compute: the schema-0002 SHA-256."""
    cols = ("id", "ts", "user_pseudonym", "event_type", "severity", "labels", "action")
    cols += ("text_hmac", "request_id", "key_id", "details", "prev_hash")
    ts = row["ts"] if row["ts"].tzinfo else row["ts"].replace(tzinfo=UTC)
    return row_hash(*[ts if c == "ts" else row[c] for c in cols])


def set_head(conn: Connection, **values: Any) -> None:
    conn.execute(update(audit_chain_head).where(head_t.id == 1).values(**values))


# --- the attacks ------------------------------------------------------------------------


def delete_oldest(conn):
    conn.execute(delete(audit_events).where(ev.id <= 3))


def delete_middle(conn):
    conn.execute(delete(audit_events).where(ev.id == 10))


def delete_newest(conn):
    conn.execute(delete(audit_events).where(ev.id >= 18))


def delete_newest_and_rewind_head(conn):
    r = rows(conn)
    conn.execute(delete(audit_events).where(ev.id >= 18))
    set_head(conn, last_id=17, last_mac=r[16]["hash"])


def truncate(conn):
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("TRUNCATE audit_events")
    else:
        conn.execute(delete(audit_events))


def truncate_and_reset_head(conn):
    truncate(conn)
    set_head(conn, last_id=0, last_mac=GENESIS, key_id=None, mac=None)


def _edit_and_rechain(conn, *, fix_head: bool):
    r = rows(conn)
    prev = r[8]["hash"]
    for row in r[9:]:
        if row["id"] == 10:
            row["severity"] = "info"  # the attacker downgrades event 10
        row["prev_hash"] = prev
        row["hash"] = prev = unkeyed(row)
    conn.execute(delete(audit_events).where(ev.id >= 10))
    conn.execute(insert(audit_events), r[9:])
    if fix_head:
        set_head(conn, last_mac=prev)


def edit_and_rechain(conn):
    _edit_and_rechain(conn, fix_head=False)


def edit_and_rechain_with_head(conn):
    _edit_and_rechain(conn, fix_head=True)


def forged_anchor(conn):
    # Issue 11 #3 verbatim, minus the maintenance switch that no longer exists: drop the
    # first 10 rows and move the chain start past them.
    r = rows(conn)
    conn.execute(delete(audit_events).where(ev.id <= 10))
    set_head(conn, start_id=11, start_prev=r[9]["hash"])


def forged_receipt(conn):
    r = rows(conn)
    forged_anchor(conn)
    receipt = dict(r[-1], id=N + 1, event_type="retention_purge", prev_hash=r[-1]["hash"])
    receipt["details"] = json.dumps(
        {"deleted": 10, "first_id": 1, "through_id": 10, "last_mac": r[9]["hash"]}
    )
    receipt["hash"] = unkeyed(receipt)
    conn.execute(insert(audit_events).values(**receipt))
    set_head(conn, last_id=N + 1, last_mac=receipt["hash"])


def reorder(conn):
    conn.execute(update(audit_events).where(ev.id == 5).values(id=-5))
    conn.execute(update(audit_events).where(ev.id == 6).values(id=5))
    conn.execute(update(audit_events).where(ev.id == -5).values(id=6))


def replay_old_row(conn):
    # An exact copy is refused by the UNIQUE(hash) constraint (test below), so the
    # attacker moves row 3 to the end of the chain instead.
    r = rows(conn)
    conn.execute(delete(audit_events).where(ev.id == 3))
    conn.execute(insert(audit_events).values(**dict(r[2], id=N + 1)))


def append_unkeyed_row(conn):
    r = rows(conn)
    row = dict(r[-1], id=N + 1, severity="info", prev_hash=r[-1]["hash"])
    row["hash"] = unkeyed(row)
    conn.execute(insert(audit_events).values(**row))


def raise_start_then_delete(conn):
    set_head(conn, start_id=11)  # allowed (the start only moves forward) ...
    conn.execute(delete(audit_events).where(ev.id <= 10))  # ... so this DELETE passes the trigger


# (attack, attacker, first_bad_id, reason fragment). None: the reason names the head.
DETECTED = [
    pytest.param(delete_oldest, "ddl", 4, "should start at id 1", id="delete-oldest"),
    pytest.param(delete_middle, "ddl", 11, "expected id 10", id="delete-middle"),
    pytest.param(delete_newest, "ddl", 18, "newest rows deleted", id="delete-newest"),
    pytest.param(
        delete_newest_and_rewind_head, "ddl", None, "head record was altered", id="delete-newest+rewind-head"
    ),
    pytest.param(truncate, "ddl", 1, "chain is empty", id="truncate"),
    pytest.param(edit_and_rechain, "ddl", 10, "do not match its MAC", id="edit+recompute-unkeyed"),
    pytest.param(
        edit_and_rechain_with_head, "ddl", None, "head record was altered", id="edit+recompute+head"
    ),
    pytest.param(forged_anchor, "ddl", None, "head record was altered", id="forged-anchor"),
    pytest.param(forged_receipt, "ddl", None, "head record was altered", id="forged-receipt"),
    pytest.param(reorder, "ddl", 5, "do not match its MAC", id="reorder"),
    pytest.param(replay_old_row, "ddl", 4, "expected id 3", id="replay-old-row"),
    pytest.param(append_unkeyed_row, "dml", N + 1, "do not match its MAC", id="append-unkeyed-row"),
    pytest.param(raise_start_then_delete, "dml", None, "head record was altered", id="raise-start+delete"),
]


@pytest.mark.parametrize(("fn", "who", "bad_id", "reason"), DETECTED)
def test_tampering_is_detected(store, url, fn, who, bad_id, reason):
    attack(url, fn, ddl=who == "ddl")
    report = store.verify()
    assert not report.ok
    assert reason in report.reason
    assert report.first_bad_id == bad_id
    # and no keyed write builds on a forged head
    if bad_id is None:
        with pytest.raises(AuditIntegrityError):
            store.audit.append("after")


GARBLED = [
    pytest.param(
        "UPDATE audit_events SET hash = 'é' || substr(hash, 2) WHERE id = 5",
        5,
        "MAC",
        False,
        id="non-ascii-mac",
    ),
    pytest.param(
        "UPDATE audit_events SET ts = 'not a time' WHERE id = 5", 5, "malformed", True, id="ts-garbage"
    ),
    pytest.param("UPDATE audit_events SET id = 'x' WHERE id = 20", 20, "malformed", True, id="id-garbage"),
    pytest.param("UPDATE audit_chain_head SET last_id = 'x'", None, "malformed", True, id="head-garbage"),
]


@pytest.mark.parametrize(("sql", "bad_id", "reason", "sqlite_only"), GARBLED)
def test_garbled_values_read_as_tampering_not_a_crash(store, url, sql, bad_id, reason, sqlite_only):
    if sqlite_only and store.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite stores a value of another type in a typed column")
    attack(url, lambda c: c.exec_driver_sql(sql), ddl=True)
    report = store.verify()
    assert (report.ok, report.first_bad_id) == (False, bad_id) and reason in report.reason
    with pytest.raises(AuditIntegrityError):
        store.purge(timedelta(0))


def old_maintenance_exploit(conn):
    """Issue 11 #3 as written: switch maintenance mode on, delete, anchor, switch off."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT set_config('bastion.maintenance', 'on', true)"))
    else:
        conn.exec_driver_sql("UPDATE audit_maintenance SET active = 1")
    conn.execute(delete(audit_events).where(ev.id <= 10))


REFUSED = [
    pytest.param(old_maintenance_exploit, id="maintenance-switch"),
    pytest.param(lambda c: c.execute(update(audit_events).values(severity="info")), id="update-all"),
    pytest.param(
        lambda c: c.execute(update(audit_events).where(ev.id == 10).values(labels="[]")), id="update-one"
    ),
    pytest.param(lambda c: c.execute(delete(audit_events).where(ev.id == 5)), id="delete-one"),
    pytest.param(lambda c: c.execute(delete(audit_events)), id="delete-all"),
    pytest.param(lambda c: set_head(c, last_id=10), id="head-rewind"),
    pytest.param(lambda c: set_head(c, start_id=0), id="head-start-back"),
    pytest.param(lambda c: set_head(c, mac=None, key_id=None), id="head-unseal"),
    pytest.param(lambda c: set_head(c, legacy_through=N), id="head-legacy-widen"),
    pytest.param(lambda c: c.execute(delete(audit_chain_head)), id="head-delete"),
    pytest.param(lambda c: c.execute(insert(audit_chain_head).values(**_head_row(2))), id="head-insert"),
    pytest.param(
        lambda c: c.execute(insert(audit_events).values(**dict(rows(c)[0], id=0))), id="insert-before-start"
    ),
]


def _head_row(id_: int) -> dict[str, Any]:
    return {
        "id": id_,
        "start_id": 1,
        "start_prev": GENESIS,
        "last_id": 0,
        "last_mac": GENESIS,
        "legacy_through": 0,
    }


@pytest.mark.parametrize("fn", REFUSED)
def test_dml_only_attacker_is_refused_by_the_database(store, url, fn):
    before = store.audit.head()
    with pytest.raises(DBAPIError, match="refused|no such table|violates check"):
        attack(url, fn, ddl=False)
    assert store.audit.count() == N and store.audit.head() == before
    assert store.verify().ok


def test_an_exact_copy_of_a_row_is_refused_even_without_triggers(store, url):
    def copy_row(conn):
        r = rows(conn)
        conn.execute(insert(audit_events).values(**dict(r[2], id=N + 1)))

    with pytest.raises(DBAPIError, match="UNIQUE|duplicate key"):
        attack(url, copy_row, ddl=True)
    assert store.verify().ok


def test_truncate_is_refused_on_postgres(store, url):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL-only")
    for table in ("audit_events", "audit_chain_head"):
        with pytest.raises(DBAPIError, match="refused"):
            attack(url, lambda c, t=table: c.exec_driver_sql(f"TRUNCATE {t}"), ddl=False)
    assert store.verify().ok


# --- rollback to a state the attacker saw before: needs a head kept outside the database ---


def saved_head_row(conn) -> dict[str, Any]:
    return dict(conn.execute(select(audit_chain_head)).one()._mapping)


@pytest.mark.parametrize("how", ["replay-saved-head", "reset-to-empty"])
def test_rollback_by_a_ddl_attacker_needs_the_known_head(store, url, how):
    with store.engine.connect() as conn:
        saved = saved_head_row(conn)  # the attacker copies the head row at id N ...
    for _ in range(5):
        store.audit.append("later")  # ... the chain grows; someone keeps head() elsewhere
    known = store.audit.head()
    assert known[0] == N + 5

    def rollback(conn):
        conn.execute(delete(audit_events).where(ev.id > (N if how == "replay-saved-head" else 0)))
        if how == "replay-saved-head":
            set_head(conn, **saved)
        else:
            set_head(conn, last_id=0, last_mac=GENESIS, key_id=None, mac=None)

    attack(url, rollback, ddl=True)
    # Without an outside copy the rolled-back chain is a valid (older or empty) chain ...
    assert store.verify().ok
    # ... with one, the rollback shows.
    report = store.verify(known_head=known)
    assert (report.ok, report.first_bad_id) == (False, N + 5)
    assert "rolled back" in report.reason or "reset" in report.reason


def test_known_head_passes_on_an_honest_chain_and_after_a_purge(store):
    known = store.audit.head()
    store.audit.append("later")
    assert store.verify(known_head=known).ok
    assert not store.verify(known_head=(known[0], "f" * 64)).ok  # not the row that was seen
    store.purge(timedelta(0), now=datetime.now(UTC) + timedelta(days=1))
    assert store.verify(known_head=known).ok  # purged with a receipt: fine


# --- after a legitimate purge ----------------------------------------------------------


def test_purged_rows_cannot_be_replayed(store, url):
    with store.engine.connect() as conn:
        old = rows(conn)
    receipt = store.purge(timedelta(0), now=datetime.now(UTC) - timedelta(days=365))
    assert receipt.deleted == 0
    receipt = store.purge(timedelta(0))
    assert receipt.deleted == N and store.verify().ok
    # DML only: the trigger refuses ids the chain already used
    with pytest.raises(DBAPIError, match="refused"):
        attack(url, lambda c: c.execute(insert(audit_events).values(**old[4])), ddl=False)
    # DDL: the row gets in, and verify sees the chain starting before the head's start
    attack(url, lambda c: c.execute(insert(audit_events).values(**old[4])), ddl=True)
    report = store.verify()
    assert (report.ok, report.first_bad_id) == (False, 5)
    assert f"should start at id {N + 1}" in report.reason


def test_a_gap_needs_a_receipt_even_with_a_valid_head_mac(store, url):
    # What the receipt requirement adds: even a head MAC'd with the right key (a key
    # holder bypassing purge(), or a bug) cannot justify a start no receipt vouches for.
    with store.engine.connect() as conn:
        old = rows(conn)
        head = read_head(conn)
    assert head is not None
    moved = ChainHead(11, old[9]["hash"], head.last_id, head.last_mac, 0, head.key_id, None)
    forged = moved.expected_mac(chain_key(KEY))

    def gap(conn):
        set_head(conn, start_id=11, start_prev=old[9]["hash"], mac=forged)
        conn.execute(delete(audit_events).where(ev.id <= 10))

    attack(url, gap, ddl=False)
    report = store.verify()
    assert (report.ok, report.first_bad_id) == (False, 11)
    assert "no retention receipt" in report.reason


def test_a_purge_receipt_is_what_vouches_for_the_start(store, url):
    receipt = store.purge(timedelta(0), now=datetime.now(UTC) + timedelta(days=1))
    assert store.verify().ok and store.verify().anchored_at == N + 1
    (purge_row,) = list(store.audit.events())
    assert purge_row.details["through_id"] == N and purge_row.details["last_mac"] == receipt.anchor_hash

    def drop_receipt(conn):
        conn.execute(delete(audit_events))

    attack(url, drop_receipt, ddl=True)
    report = store.verify()
    assert not report.ok and "chain is empty" in report.reason


def test_verify_with_the_wrong_key_says_so(url, store):
    with PrivacyStore(url, audit_key=b"another-key-0123456789") as other:
        report = other.verify()
        assert not report.ok and "another key" in report.reason
        with pytest.raises(AuditIntegrityError, match="another key"):
            other.audit.append("x")
    assert store.verify().ok


# --- the data role on PostgreSQL cannot switch the triggers off ----------------------------


def test_postgres_data_role_cannot_bypass_the_triggers(store, url):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("roles are PostgreSQL-only")
    role = "bastion_t_app_" + secrets.token_hex(4)
    schema = make_url(url).query["options"].split("=", 1)[1]
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT, INSERT, DELETE ON audit_events TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT, UPDATE ON audit_chain_head TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT ON bastion_store_version TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT ON privacy_pseudonyms TO "{role}"')
    app_url = make_url(url).set(username=role).render_as_string(hide_password=False)
    try:
        with pytest.raises(DBAPIError, match="refused"):
            attack(app_url, old_maintenance_exploit, ddl=False)
        for stmt, msg in [
            ("SET session_replication_role = replica", "permission denied"),
            ("ALTER TABLE audit_events DISABLE TRIGGER ALL", "must be owner"),
            ("DROP TRIGGER audit_events_guard ON audit_events", "must be owner"),
        ]:
            with pytest.raises(DBAPIError, match=msg):
                attack(app_url, lambda c, s=stmt: c.exec_driver_sql(s), ddl=False)
        assert store.verify().ok
        # the same role runs the store: append, verify and purge need no more rights
        with PrivacyStore(app_url, migrate=False, audit_key=KEY) as app:
            app.audit.append("as-app")
            assert app.verify().ok
            assert app.purge(timedelta(0)).deleted == N + 1 and app.verify().ok
            # VACUUM by a non-owner would be a silent no-op (a WARNING): it is an error instead
            with pytest.raises(ConfigError, match="does not own"):
                app.erase("someone", vacuum=True)
            assert app.verify().ok
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
