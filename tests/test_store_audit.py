"""Audit chain: append, verify, retention, concurrent appends, stats and export, on
SQLite and (when configured) PostgreSQL. Tampering: tests/test_store_tamper.py."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from bastion.errors import ConfigError, InputError
from bastion.store import GENESIS, NewEvent, PrivacyStore
from bastion.store.audit import AuditIntegrityError
from bastion.store.schema import audit_events
from helpers_run import run_threads
from helpers_store import FakeClock, bypass_triggers, url_fixture
from sqlalchemy import create_engine, delete, update

UTC = timezone.utc
T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)


url = url_fixture()


@pytest.fixture
def clock():
    # deterministic: each event one second after the last
    return FakeClock(T0, step=timedelta(seconds=1))


@pytest.fixture
def store(url, clock):
    s = PrivacyStore(url, clock=clock, audit_key=b"k" * 32)
    yield s
    s.close()


def fill(store: PrivacyStore, n: int) -> None:
    for i in range(n):
        store.audit.append(
            "pii" if i % 2 else "injection",
            severity="low" if i % 2 else "high",
            user_pseudonym=f"u_{i % 3}",
            labels=["EMAIL_ADDRESS", "PERSON"] if i % 2 else [],
            action="redact" if i % 2 else "block",
            request_id=f"req-{i}",
            details={"counts": {"EMAIL_ADDRESS": i}},
        )


def tamper(url: str, stmt) -> None:
    """An attacker with DDL rights: bypass the triggers, then write."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            bypass_triggers(conn)
            conn.execute(stmt)
    finally:
        engine.dispose()


# --- chain -----------------------------------------------------------------------------


def test_empty_chain_verifies(store):
    report = store.verify()
    assert (report.ok, report.checked, report.head_id, report.head_hash) == (True, 0, None, GENESIS)


def test_chain_links_and_verifies(store, clock):
    fill(store, 10)
    events = list(store.audit.events())
    assert [e.id for e in events] == list(range(1, 11))
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert events[1].labels == ("EMAIL_ADDRESS", "PERSON")
    assert events[0].ts == T0 and events[0].ts.tzinfo is not None
    report = store.verify()
    assert report.ok and report.checked == 10
    assert (report.head_id, report.head_hash) == (10, events[-1].hash) == store.audit.head()


def test_append_returns_what_is_stored(store):
    ev = store.audit.append("login", severity="medium", labels=["B", "A", "B"], details={"n": 1, "x": [1, 2]})
    (stored,) = list(store.audit.events())
    assert ev == stored
    assert stored.labels == ("A", "B")
    assert stored.to_dict()["details"] == {"n": 1, "x": [1, 2]}


def test_append_many_is_one_chain(store):
    out = store.audit.append_many([NewEvent("a"), NewEvent("b"), NewEvent("c")])
    assert [e.id for e in out] == [1, 2, 3]
    assert store.audit.append_many([]) == []
    assert store.verify().ok and store.audit.count() == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"severity": "urgent"}, "severity"),
        ({"labels": "EMAIL"}, "labels"),
        ({"labels": [3]}, "label"),
        ({"request_id": "a\x00b"}, "NUL"),
        ({"request_id": "x" * 129}, "request_id"),
        ({"key_id": ""}, "key_id"),
        ({"user_pseudonym": "\ud800"}, "surrogate"),
        ({"details": {"score": float("nan")}}, "details"),
        ({"details": {"obj": object()}}, "details"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_written(store, kwargs, message):
    with pytest.raises(InputError, match=message):
        store.audit.append("check", **kwargs)
    with pytest.raises(InputError):
        store.audit.append_many([NewEvent("ok"), NewEvent("bad", **kwargs)])
    assert store.audit.count() == 0


@pytest.mark.parametrize("event_type", ["", None, 7, "x" * 65])
def test_bad_event_type(store, event_type):
    with pytest.raises(InputError):
        store.audit.append(event_type)


# --- tamper evidence ---------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ["retention_purge", "audit_chain_sealed"])
def test_receipt_event_types_are_reserved_for_the_store(store, event_type):
    with pytest.raises(InputError, match="reserved"):
        store.audit.append(event_type, details={"through_id": 0, "last_mac": GENESIS})
    assert store.audit.count() == 0


def test_appends_and_verify_need_the_key(url, monkeypatch):
    monkeypatch.delenv("BASTION_AUDIT_HMAC_KEY", raising=False)
    monkeypatch.delenv("BASTION_AUDIT_HMAC_KEY_FILE", raising=False)
    with PrivacyStore(url) as s:
        for call in (lambda: s.audit.append("x"), s.verify, lambda: s.purge(timedelta(days=1))):
            with pytest.raises(ConfigError, match="HMAC key"):
                call()
        assert s.audit.count() == 0 and s.audit.head() == (None, GENESIS)


# --- retention ---------------------------------------------------------------------------


def test_purge_keeps_the_chain_verifiable(store, clock):
    fill(store, 10)  # ts = T0 .. T0+9s
    receipt = store.purge(timedelta(seconds=5), now=T0 + timedelta(seconds=9))  # cutoff T0+4s
    assert receipt.deleted == 4 and receipt.first_remaining_id == 5
    ids = [e.id for e in store.audit.events()]
    assert ids[:6] == [5, 6, 7, 8, 9, 10]
    assert store.audit.events().__next__().prev_hash == receipt.anchor_hash
    purge_event = list(store.audit.events())[-1]
    assert (purge_event.id, purge_event.event_type) == (receipt.event_id, "retention_purge")
    assert purge_event.details["deleted"] == 4
    report = store.verify()
    assert report.ok and report.checked == 7 and report.anchored_at == 5
    fill(store, 2)
    assert store.verify().ok


def test_purge_twice_and_purge_everything(store, clock):
    fill(store, 6)  # ts T0 .. T0+5s
    assert store.purge(timedelta(seconds=3), now=T0 + timedelta(seconds=5)).deleted == 2  # ts < T0+2s
    assert store.purge(timedelta(seconds=3), now=T0 + timedelta(seconds=5)).deleted == 0
    everything = store.purge(timedelta(0), now=T0 + timedelta(days=1))
    assert everything.deleted == 5  # 4 remaining fill rows + the first purge's event
    assert [e.event_type for e in store.audit.events()] == ["retention_purge"]
    assert store.verify().ok
    store.audit.append("after")
    assert store.verify().ok and store.audit.head()[0] == 9


def test_purge_only_removes_a_prefix(store, clock):
    fill(store, 2)  # ts T0, T0+1s
    clock.now = T0 + timedelta(days=30)  # row 3 is "new" (clock skew) ...
    store.audit.append("skewed")
    clock.now = T0 + timedelta(seconds=3)  # ... rows 4..6 are older than the cutoff but after it
    fill(store, 3)
    receipt = store.purge(timedelta(days=1), now=T0 + timedelta(days=10))
    assert receipt.deleted == 2
    assert [e.id for e in store.audit.events()][:4] == [3, 4, 5, 6]
    assert store.verify().ok


def test_purge_on_empty_store_and_bad_arguments(store):
    assert store.purge(timedelta(days=1)).deleted == 0
    with pytest.raises(InputError):
        store.purge(timedelta(days=-1))
    with pytest.raises(InputError):
        store.purge(90)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="timezone"):
        store.purge(timedelta(days=1), now=datetime(2026, 1, 1))


def test_tampering_after_purge_is_still_detected(store, url):
    fill(store, 6)
    store.purge(timedelta(seconds=2), now=T0 + timedelta(seconds=5))
    tamper(url, delete(audit_events).where(audit_events.c.id == 4))
    report = store.verify()
    assert not report.ok and report.first_bad_id == 5 and "should start at id 4" in report.reason


@pytest.mark.parametrize(
    "stmt",
    [
        update(audit_events).where(audit_events.c.id == 2).values(severity="info"),
        delete(audit_events).where(audit_events.c.id == 3),
    ],
    ids=["edited", "deleted"],
)
def test_purge_refuses_to_erase_evidence_of_tampering(store, url, stmt):
    fill(store, 6)
    tamper(url, stmt)
    with pytest.raises(AuditIntegrityError, match="broken chain"):
        store.purge(timedelta(seconds=1), now=T0 + timedelta(seconds=5))
    assert store.audit.count() == (6 if "UPDATE" in str(stmt) else 5)
    assert not store.verify().ok


# --- concurrency -------------------------------------------------------------------------


def test_concurrent_appends_keep_one_chain(url):
    stores = [PrivacyStore(url, migrate=i == 0, audit_key=b"k" * 32) for i in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker(s: PrivacyStore, n: int) -> None:
        try:
            start.wait()
            for i in range(100):
                s.audit.append("check", severity="info", request_id=f"w{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    run_threads(worker, [(s, n) for n, s in enumerate(stores)])
    try:
        assert errors == []
        events = list(stores[0].audit.events())
        assert [e.id for e in events] == list(range(1, 401))
        assert len({e.request_id for e in events}) == 400
        report = stores[0].verify()
        assert report.ok and report.checked == 400
    finally:
        for s in stores:
            s.close()


# --- queries -----------------------------------------------------------------------------


def test_stats_count_by_type_and_severity_in_window(store, clock):
    fill(store, 10)  # even i: injection/high, odd i: pii/low; ts T0+i s
    st = store.stats(T0 + timedelta(seconds=2), T0 + timedelta(seconds=7))  # i = 2..6
    assert st.total == 5
    assert dict(st.by_event_type) == {"injection": 3, "pii": 2}
    assert dict(st.by_severity) == {"low": 2, "high": 3}
    assert dict(st.by_type_and_severity) == {("injection", "high"): 3, ("pii", "low"): 2}
    assert store.stats(T0 + timedelta(days=1), T0 + timedelta(days=2)).total == 0
    with pytest.raises(InputError):
        store.stats(datetime(2026, 1, 1))


def test_events_filters(store):
    fill(store, 9)
    window = list(store.audit.events(T0 + timedelta(seconds=3), T0 + timedelta(seconds=5)))
    assert [e.id for e in window] == [4, 5]
    assert [e.id for e in store.audit.events(user_pseudonym="u_1")] == [2, 5, 8]


def test_purge_drops_user_links_nothing_refers_to(store, clock):
    from bastion import Guard
    from bastion.detectors import build_detector

    guard = Guard([build_detector("pii_regex")])
    for user in ("alice@corp.example", "bob@corp.example"):
        store.record_check(guard.check("hi"), user_id=user, text="hi")  # ts T0, T0+1s
    store.consent.grant("bob@corp.example", "analytics", "v1")  # bob keeps a reason to be linked
    clock.now = T0 + timedelta(days=40)
    store.record_check(guard.check("hi"), user_id="carol@corp.example", text="hi")  # inside the window
    store.purge(timedelta(days=30), now=T0 + timedelta(days=40))
    assert store.pseudonyms.get("alice@corp.example") is None  # events purged, nothing else
    assert store.pseudonyms.get("bob@corp.example") is not None  # a consent record remains
    assert store.pseudonyms.get("carol@corp.example") is not None  # her event is recent
    assert store.verify().ok
    db = store.engine.url.database
    if store.engine.dialect.name == "sqlite" and db not in (None, "", ":memory:"):
        # s31: the purged link's page stayed in the -wal file (erase() checkpointed, purge not)
        files = (Path(db), Path(f"{db}-wal"))
        assert not any(b"alice@corp.example" in p.read_bytes() for p in files if p.exists())
