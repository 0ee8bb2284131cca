"""s34 qa_tenant: tenant isolation in the HTTP API.

- H1: ``/ui/api/dashboard`` is bounded: one computation at a time per process (a second
  caller gets 503 "dashboard busy" while it runs, even after the first request gave up),
  results and the chain's verify report reused for a while, a deadline checked inside the
  walk, and a timeout answered "the dashboard query took too long", not "database unavailable".
- M1: by default the dashboard covers the calling key's rows only (no chain report); the
  whole trail with ``--dashboard-all-keys``; windows are whole hours.
- L1: two ``Authorization`` headers are refused (400), never resolved to the first one.
- L2: every ``/v1/restore`` (404s too) is a ``restore`` row in the audit trail.
- L4: a restore for a user never seen runs the same queries as one for a known user.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from bastion.api import server, ui
from bastion.api.keys import KeyStore
from bastion.api.settings import Settings
from fastapi.testclient import TestClient
from test_api import CARD, EMAIL, NAME, fake_app

store_mod = pytest.importorskip("bastion.store", reason="bastion.store is not available")
from bastion.api.sessions import SessionVaults  # noqa: E402  (needs the store's packages)

PSEUDO = {"default_operator": "pseudonymize"}
TOO_SLOW = "the dashboard query took too long"


def _store(path: Any) -> Any:
    return store_mod.PrivacyStore(
        f"sqlite:///{path}", audit_key=b"a" * 32, vault_key=store_mod.new_vault_key()
    )


@pytest.fixture
def make(tmp_path) -> Iterator[Any]:
    """``make(all_keys=False)``: a TestClient over the fake Guard with a privacy store and
    two keys (``a``, ``b``: their auth headers; ``ids``: their key ids)."""
    opened: list[TestClient] = []

    def build(*, all_keys: bool = False) -> SimpleNamespace:
        ks = KeyStore(f"sqlite:///{tmp_path / f'keys{len(opened)}.db'}")
        ka, a = ks.create("appA")
        kb, b = ks.create("appB")
        store = _store(tmp_path / f"store{len(opened)}.db")
        app = fake_app(ks, Settings(rate_limit=None, dashboard_all_keys=all_keys), privacy_store=store)
        c = TestClient(app)
        c.__enter__()
        opened.append(c)
        auth = {"Authorization": f"Bearer {a}"}, {"Authorization": f"Bearer {b}"}
        return SimpleNamespace(c=c, store=store, a=auth[0], b=auth[1], ids=(ka.id, kb.id))

    yield build
    for c in opened:
        c.__exit__(None, None, None)


def _traffic(t: SimpleNamespace) -> None:
    """Key A checks three texts for user carol (two with PII)."""
    for text in (f"my card is {CARD}", f"mail {EMAIL}", "hello"):
        r = t.c.post("/v1/check", json={"text": text}, headers={**t.a, "X-Bastion-User": "carol"})
        assert r.status_code == 200, r.text


class SlowVerify:
    """A stand-in for ``store.verify`` that takes ``seconds`` and counts its calls and the
    most that ran at once."""

    def __init__(self, real: Any, seconds: float) -> None:
        self.real, self.seconds = real, seconds
        self.calls = self.running = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, **kw: Any) -> Any:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.seconds)
            return self.real(**kw)
        finally:
            with self.lock:
                self.running -= 1


# -- H1: bounded dashboard ------------------------------------------------------------------------


def test_parallel_dashboard_calls_run_one_walk_and_verify_once(make, monkeypatch):
    t = make(all_keys=True)
    _traffic(t)
    slow = SlowVerify(t.store.verify, 0.4)
    monkeypatch.setattr(t.store, "verify", slow)
    out: list[Any] = [None] * 6

    def call(i: int) -> None:
        out[i] = t.c.get("/ui/api/dashboard?period=24h", headers=t.a)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # the others waited for the one computation and got its result
    assert [r.status_code for r in out] == [200] * 6
    assert slow.most == 1 and slow.calls == 1
    assert len({r.json()["verify"]["head_id"] for r in out}) == 1
    # another period reuses the chain report: verify walks the whole chain whatever the period
    assert t.c.get("/ui/api/dashboard?period=7d", headers=t.a).status_code == 200
    assert slow.calls == 1


def test_a_timed_out_dashboard_says_so_and_keeps_the_slot_until_its_walk_ends(make, monkeypatch):
    from bastion.api import edge

    t = make(all_keys=True)
    _traffic(t)
    slow = SlowVerify(t.store.verify, 2.0)
    monkeypatch.setattr(t.store, "verify", slow)
    monkeypatch.setattr(edge, "STORE_DEADLINE_S", 0.3)
    monkeypatch.setattr(ui, "BUSY_WAIT_S", 0.1, raising=False)
    r = t.c.get("/ui/api/dashboard?period=1h", headers=t.a)
    assert r.status_code == 503 and TOO_SLOW in r.json()["detail"], r.text
    assert "database" not in r.json()["detail"]
    assert 0 < int(r.headers["retry-after"]) < ui.CACHE_TTL_S
    # the abandoned thread still runs: a second caller does not start another walk
    r2 = t.c.get("/ui/api/dashboard?period=24h", headers=t.a)
    assert r2.status_code == 503 and "dashboard busy" in r2.json()["detail"], r2.text
    assert int(r2.headers["retry-after"]) > 0
    deadline = time.monotonic() + 10
    while slow.running and time.monotonic() < deadline:
        time.sleep(0.05)
    # the abandoned computation filled the cache: the retry is answered at once
    r3 = t.c.get("/ui/api/dashboard?period=1h", headers=t.a)
    assert r3.status_code == 200 and r3.json()["checks"] == 3
    assert slow.calls == 1 and slow.most == 1


def test_the_walk_stops_at_its_deadline(tmp_path):
    store = _store(tmp_path / "w.db")
    store.audit.append_many(
        store_mod.NewEvent("pii", "low", labels=["EMAIL_ADDRESS"], action="redact") for _ in range(3000)
    )
    now = datetime.now(UTC)
    since, until = now - timedelta(hours=1), now + timedelta(hours=1)
    with pytest.raises(ui.DashboardTooSlow):
        ui.dashboard_data(store, since, until, deadline=time.monotonic() - 1)
    assert ui.dashboard_data(store, since, until, deadline=time.monotonic() + 60)["checks"] == 3000


def test_the_dashboard_deadline_comes_before_the_requests(make, monkeypatch):
    t = make()
    _traffic(t)
    monkeypatch.setattr(ui, "DASHBOARD_DEADLINE_S", -1.0, raising=False)
    r = t.c.get("/ui/api/dashboard?period=1h", headers=t.a)
    assert r.status_code == 503 and TOO_SLOW in r.json()["detail"], r.text
    assert ui.DASHBOARD_DEADLINE_S < ui.STORE_DEADLINE_S


# -- M1: scope ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("all_keys", "caller", "checks", "labels", "verified"),
    [
        (False, "b", 0, set(), None),  # another tenant sees nothing of A's traffic
        (False, "a", 3, {"CREDIT_CARD", "EMAIL_ADDRESS"}, None),  # A sees its own, not the chain
        (True, "b", 3, {"CREDIT_CARD", "EMAIL_ADDRESS"}, True),  # the operator's opt-in
    ],
    ids=["other-key", "own-key", "all-keys-opt-in"],
)
def test_the_dashboard_shows_the_calling_keys_rows_by_default(
    make, all_keys, caller, checks, labels, verified
):
    t = make(all_keys=all_keys)
    _traffic(t)
    t.store.erase("carol")  # an erasure row (no key): only the operator view counts it
    r = t.c.get("/ui/api/dashboard?period=24h", headers=getattr(t, caller))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["checks"] == checks and {x["label"] for x in d["labels"]} == labels
    assert sum(d["by_action"].values()) == checks and d["injection_scores"]["scored"] == checks
    assert d["verify"]["ok"] is verified and d["scope"] == ("all keys" if all_keys else "this key")
    assert d["stats"]["total"] == (checks + 1 if all_keys else checks)
    assert ("erasure" in d["stats"]["by_event_type"]) is all_keys
    if not all_keys:
        assert "head_hash" not in d["verify"] and "--dashboard-all-keys" in d["verify"]["reason"]


@pytest.mark.parametrize(
    ("since", "until", "want"),
    [
        ("2026-02-01T10:17:05Z", "2026-02-01T10:17:07Z", ("2026-02-01T10:00:00", "2026-02-01T11:00:00")),
        ("2026-02-01T10:00:00Z", "2026-02-01T10:00:01Z", ("2026-02-01T10:00:00", "2026-02-01T11:00:00")),
        ("2026-02-01T09:59:59Z", "2026-02-01T11:00:00Z", ("2026-02-01T09:00:00", "2026-02-01T11:00:00")),
        (None, None, ("2026-03-01T11:00:00", "2026-03-01T12:00:00")),  # 1h: the current clock hour
    ],
)
def test_windows_are_whole_hours(since, until, want):
    now = datetime(2026, 3, 1, 11, 42, 7, tzinfo=UTC)
    got = ui.parse_period("1h" if since is None else None, since, until, now=now)
    assert tuple(x.isoformat() for x in got) == tuple(w + "+00:00" for w in want)


def test_a_one_second_window_over_http_is_an_hour(make):
    t = make(all_keys=True)
    t0 = datetime.now(UTC).replace(microsecond=0)
    q = f"since={t0.isoformat()}&until={(t0 + timedelta(seconds=2)).isoformat()}".replace("+", "%2B")
    d = t.c.get("/ui/api/dashboard?" + q, headers=t.a).json()
    span = datetime.fromisoformat(d["until"].replace("Z", "+00:00")) - datetime.fromisoformat(
        d["since"].replace("Z", "+00:00")
    )
    assert span >= ui.GRANULARITY and d["since"].endswith(":00:00Z")


def test_the_operator_opt_in_flag_and_env(monkeypatch):
    parser = argparse.ArgumentParser()
    server.add_parser(parser.add_subparsers())
    assert parser.parse_args(["serve"]).dashboard_all_keys is False
    assert parser.parse_args(["serve", "--dashboard-all-keys"]).dashboard_all_keys is True
    assert Settings().dashboard_all_keys is False
    monkeypatch.setenv("BASTION_DASHBOARD_ALL_KEYS", "1")
    assert Settings.from_env(db_url="sqlite://").dashboard_all_keys is True


# -- L1: one Authorization header -----------------------------------------------------------------


@pytest.mark.parametrize("order", ["a-b", "garbage-a", "a-a"])
def test_two_authorization_headers_are_refused(make, order):
    t = make()
    values = {"a": t.a["Authorization"], "b": t.b["Authorization"], "garbage": "Bearer bst_nope"}
    first, second = (values[x] for x in order.split("-"))
    r = t.c.post(
        "/v1/check", json={"text": "hi"}, headers=[("Authorization", first), ("Authorization", second)]
    )
    assert r.status_code == 400 and "Authorization header is given 2 times" in r.json()["detail"], r.text
    assert t.store.audit.count() == 0  # nothing was checked or charged to either key
    assert t.c.post("/v1/check", json={"text": "hi"}, headers=t.a).status_code == 200


# -- L2: restores in the audit trail --------------------------------------------------------------


def test_restores_and_refused_restores_are_audit_rows(make):
    t = make()
    alice = {"X-Bastion-User": "alice"}
    r = t.c.post(
        "/v1/redact",
        json={"text": f"I am {NAME}", "policy": PSEUDO, "session_id": "s1"},
        headers={**t.a, **alice},
    )
    assert r.status_code == 200, r.text
    ok = t.c.post(
        "/v1/restore", json={"session_id": "s1", "text": "<PERSON_1> <PERSON_7>"}, headers={**t.a, **alice}
    )
    assert ok.status_code == 200 and ok.json()["restored"] == 1
    probe = t.c.post("/v1/restore", json={"session_id": "s1", "text": "<PERSON_1>"}, headers={**t.b, **alice})
    assert probe.status_code == 404
    unseen = t.c.post(
        "/v1/restore", json={"session_id": "s1", "text": "x"}, headers={**t.b, "X-Bastion-User": "zed"}
    )
    assert unseen.status_code == 404
    events = list(t.store.audit.events())
    check_row = next(e for e in events if e.action is not None)
    rows = [e for e in events if e.event_type == "restore"]
    assert [(e.key_id, e.details["outcome"], e.request_id) for e in rows] == [
        (t.ids[0], "restored", ok.headers["x-request-id"]),
        (t.ids[1], "not_found", probe.headers["x-request-id"]),
        (t.ids[1], "not_found", unseen.headers["x-request-id"]),
    ]
    assert rows[0].details["restored"] == 1 and rows[0].details["unknown"] == 1
    # the user's pseudonym as on the check rows; a user never seen gets none (nor a link)
    assert rows[0].user_pseudonym == rows[1].user_pseudonym == check_row.user_pseudonym
    assert rows[2].user_pseudonym is None and t.store.pseudonyms.get("zed") is None
    assert all(e.action is None for e in rows)  # not counted as checks by the dashboard
    assert t.store.verify().ok


# -- L4: no user-existence oracle -----------------------------------------------------------------


def test_a_restore_for_an_unseen_user_runs_the_same_queries(tmp_path):
    from sqlalchemy import event

    store = _store(tmp_path / "o.db")
    sv = SessionVaults(store, ttl_s=3600)
    sv.vault("k2", "dave", "other").token_for("PERSON", "Jane")  # dave is known, elsewhere
    statements: list[str] = []

    def seen(conn, cursor, statement, *_a: Any) -> None:
        statements.append(statement.split()[0])

    event.listen(store.engine, "before_cursor_execute", seen)
    assert sv.restore("k1", "dave", "d1", "<PERSON_1>") is None
    known = list(statements)
    statements.clear()
    assert sv.restore("k1", "nobody", "d1", "<PERSON_1>") is None
    assert statements == known and len(known) >= 3
    assert store.pseudonyms.get("nobody") is None
