"""QA s32 (the store on PostgreSQL, Redis rate limits): secrets in URLs are masked in every
message (query-parameter passwords too), malformed database and Redis URLs are one-line
ConfigErrors, a database or Redis that is down or stops answering is a 503 with
Retry-After (API and proxy), PostgreSQL connections get timeouts, erasure and purge with
--vacuum leave no raw id in heap pages, indexes or planner statistics, and a user erased
while a request pseudonymises is a 409.

The PostgreSQL tests need ``$BASTION_TEST_PG_URL`` (see .ci/services.sh); the rest run on
SQLite, a closed port or a socket that never answers.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from bastion.api import edge
from bastion.api.keys import KeyStore
from bastion.api.ratelimit import RateLimiter
from bastion.api.settings import Settings
from bastion.cli import main as cli_main
from bastion.errors import ConfigError
from fastapi.testclient import TestClient
from helpers_store import url_fixture
from test_api import Server, fake_app, fake_guard

store_mod = pytest.importorskip("bastion.store", reason="bastion.store is not available")
from bastion.store import migrate  # noqa: E402  (needs the store's packages)
from bastion.store.db import create_store_engine, parse_url, pg_connect_args  # noqa: E402
from bastion.store.testing import SKIP_REASON, pg_url, temporary_pg_schema  # noqa: E402
from bastion.store.urls import safe_url, url_secrets  # noqa: E402
from sqlalchemy import text  # noqa: E402

SECRET = "S3cretQ_pw42"
needs_pg = pytest.mark.skipif(pg_url() is None, reason=SKIP_REASON)
url = url_fixture()


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    for name in ("BASTION_DB_URL", "BASTION_STORE_URL", "BASTION_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BASTION_AUDIT_HMAC_KEY", "k" * 32)
    return tmp_path


@pytest.fixture
def key_store(tmp_path) -> Iterator[tuple[KeyStore, str]]:
    ks = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    _, key = ks.create("s32")
    yield ks, key
    ks.close()


# --- H1: one safe_url, query passwords masked ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"postgresql://u:{SECRET}@h:5432/db", "postgresql://u:***@h:5432/db"),
        (f"postgresql://u@h/db?password={SECRET}", "postgresql://u@h/db?password=***"),
        (
            f"postgresql://u@h/db?sslmode=require&sslpassword={SECRET}",
            "postgresql://u@h/db?sslmode=require&sslpassword=***",
        ),
        (f"postgresql://u@h/db?api_token={SECRET}&x=1", "postgresql://u@h/db?api_token=***&x=1"),
        (f"postgresql://u:pa?ss{SECRET}@h/db", "postgresql://u:***@h/db"),
        (f"redis//:{SECRET}@cache:6379/0", "redis//:***@cache:6379/0"),
        (f"redis://:{SECRET}@127.0.0.1:notaport/0", "redis://:***@127.0.0.1:notaport/0"),
        ("postgresql://u@h/db?options=-csearch_path%3Dx", "postgresql://u@h/db?options=-csearch_path%3Dx"),
    ],
)
def test_safe_url_masks_userinfo_and_secret_query_parameters(raw, shown):
    assert safe_url(raw) == shown
    if raw.startswith("postgresql://u@h"):  # a SQLAlchemy URL object too
        assert safe_url(parse_url(raw)) == shown.replace("postgresql://", "postgresql+psycopg://")
    assert all(SECRET in s for s in url_secrets(raw)) and (SECRET in raw) == bool(url_secrets(raw))


def _refused_pg(query_password: bool = True) -> str:
    port = closed_port()
    if query_password:
        return f"postgresql://postgres@127.0.0.1:{port}/bastion_qa?password={SECRET}"
    return f"postgresql://postgres:{SECRET}@127.0.0.1:{port}/bastion_qa"


@pytest.mark.parametrize("argv", [["audit", "verify"], ["keys", "list"], ["audit", "init"]])
def test_cli_errors_hide_a_query_password(home, capsys, argv):
    db = _refused_pg()
    rc = cli_main([*argv, "--db", db])
    err = capsys.readouterr().err
    assert rc == 1 and SECRET not in err and "password=***" in err, err
    assert "Traceback" not in err


def test_api_store_errors_hide_a_query_password(home):
    from bastion.api.audit_log import _load_store

    db = _refused_pg()
    for open_store in (
        lambda: KeyStore(db, migrate=False),
        lambda: store_mod.PrivacyStore(db, migrate=False),
        lambda: _load_store(db),
    ):
        with pytest.raises(ConfigError) as exc:
            open_store()
        assert SECRET not in str(exc.value) and "password=***" in str(exc.value)


def test_store_url_conflict_hides_passwords():
    import argparse

    from bastion.api.server import store_flags

    args = argparse.Namespace(db=_refused_pg(), audit_store=False, store_url=_refused_pg(False))
    with pytest.raises(ConfigError) as exc:
        store_flags(args)
    assert SECRET not in str(exc.value) and "***" in str(exc.value)


@needs_pg
@pytest.mark.postgres
def test_not_initialised_message_hides_a_correct_query_password(home, capsys):
    with temporary_pg_schema(pg_url()) as base:  # an empty schema: no store in it
        db = parse_url(base).update_query_dict({"password": SECRET}).render_as_string(hide_password=False)
        rc = cli_main(["keys", "list", "--db", db])
    err = capsys.readouterr().err
    assert rc == 1 and "no bastion store" in err and SECRET not in err and "password=***" in err, err


# --- H2 / M4: malformed URLs are ConfigErrors ---------------------------------------------------


@pytest.mark.parametrize(
    "redis_url",
    [
        f"redis//:{SECRET}@cache:6379/0",
        f"redis://:{SECRET}@127.0.0.1:notaport/0",
        f"valkey://:{SECRET}@127.0.0.1:6379/0",
    ],
)
def test_malformed_redis_url_is_a_config_error(redis_url, key_store):
    with pytest.raises(ConfigError, match="invalid Redis URL") as exc:
        RateLimiter("5/minute", redis_url)
    assert SECRET not in str(exc.value) and ":***@" in str(exc.value)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__
    with pytest.raises(ConfigError, match="invalid Redis URL"):
        fake_app(key_store[0], Settings(rate_limit="5/minute", redis_url=redis_url))


def test_serve_with_a_malformed_redis_url_exits_1_without_a_traceback(home, capsys):
    rc = cli_main(
        ["serve", "--no-auth", "--rate-limit", "5/minute", "--redis-url", f"redis//:{SECRET}@cache:6379/0"]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "bastion serve: error: invalid Redis URL redis//:***@cache:6379/0" in err, err
    assert SECRET not in err


@pytest.mark.parametrize(
    "db", [f"postgresql://postgres:{SECRET}@127.0.0.1:notaport/x", f"postgresql://postgres:{SECRET}@[::1/x"]
)
def test_malformed_database_port_is_a_config_error(home, capsys, db):
    with pytest.raises(ConfigError, match="invalid database URL") as exc:
        parse_url(db)
    assert SECRET not in str(exc.value) and ":***@" in str(exc.value)
    for argv in (["audit", "verify"], ["keys", "list"]):
        rc = cli_main([*argv, "--db", db])
        err = capsys.readouterr().err
        assert rc == 1 and "invalid database URL" in err and SECRET not in err and "Traceback" not in err


# --- H3: PostgreSQL connection timeouts ----------------------------------------------------------


def test_postgres_engines_get_timeouts_the_url_can_override():
    args = pg_connect_args(parse_url("postgresql://u@h/db"))
    assert args["connect_timeout"] == 10 and args["keepalives"] == 1 and "options" not in args
    own = pg_connect_args(parse_url("postgresql://u@h/db?connect_timeout=3&keepalives_idle=5"), serving=True)
    assert "connect_timeout" not in own and "keepalives_idle" not in own
    assert own["options"].startswith("-c statement_timeout=30000 -c lock_timeout=10000")
    engine = create_store_engine("postgresql://u@127.0.0.1:1/db")
    try:
        assert engine.pool.timeout() == 10
    finally:
        engine.dispose()


class BlackHole:
    """A TCP server that accepts connections and never answers (a frozen database host)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.held:
            c.close()


def test_connect_timeout_bounds_a_server_that_never_answers():
    hole = BlackHole()
    engine = create_store_engine(f"postgresql://u@127.0.0.1:{hole.port}/db?connect_timeout=1")
    t0 = time.monotonic()
    try:
        with pytest.raises(Exception) as exc, engine.connect():
            pass
        assert type(exc.value).__name__ == "OperationalError" and time.monotonic() - t0 < 5
    finally:
        engine.dispose()
        hole.close()


def test_a_stalled_key_database_answers_503_not_a_hang(key_store, monkeypatch):
    """The key lookup runs on every request: a database that accepts and never answers
    (connect_timeout left at its default of 10 s) is a 503 after the request deadline."""
    ks, key = key_store
    hole = BlackHole()
    monkeypatch.setattr(edge, "STORE_DEADLINE_S", 1.0)
    ks.engine.dispose()
    ks.engine = create_store_engine(f"postgresql://u@127.0.0.1:{hole.port}/db")
    try:
        with TestClient(fake_app(ks)) as client:
            t0 = time.monotonic()
            r = client.post("/v1/check", json={"text": "hi"}, headers={"Authorization": f"Bearer {key}"})
            took = time.monotonic() - t0
        assert r.status_code == 503 and took < 5, (r.status_code, took)
        assert r.headers["retry-after"] == "1" and "database is unavailable" in r.json()["detail"]
    finally:
        hole.close()


class FreezableProxy:
    """TCP forwarding to a real server that can stop forwarding (``frozen``): the client's
    bytes are accepted by the kernel but nothing comes back, as from a SIGSTOPped server."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.frozen = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        while True:
            try:
                data = a.recv(65536)
                if not data:
                    b.shutdown(socket.SHUT_WR)
                    return
                while self.frozen.is_set():
                    time.sleep(0.02)
                b.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self.frozen.clear()
        self.sock.close()
        for c in self.conns:
            c.close()


@needs_pg
@pytest.mark.postgres
def test_frozen_postgres_answers_503_within_the_deadline_and_recovers(monkeypatch):
    """QA s32 H3: pooled connections to a frozen PostgreSQL hung every request until the
    server woke up (90 s)."""
    monkeypatch.setattr(edge, "STORE_DEADLINE_S", 1.0)
    with temporary_pg_schema(pg_url()) as db:
        setup = KeyStore(db)
        _, key = setup.create("frozen")
        setup.close()
        proxy = FreezableProxy(parse_url(db).port or 5432)
        ks = KeyStore(parse_url(db).set(port=proxy.port), migrate=False, serving=True)
        auth = {"Authorization": f"Bearer {key}"}
        try:
            with Server(fake_app(ks)) as srv:
                assert httpx.post(srv.url + "/v1/check", json={"text": "hi"}, headers=auth).status_code == 200
                proxy.frozen.set()
                t0 = time.monotonic()
                r = httpx.post(srv.url + "/v1/check", json={"text": "hi"}, headers=auth, timeout=20)
                took = time.monotonic() - t0
                assert r.status_code == 503 and took < 5, (r.status_code, took)
                assert r.headers["retry-after"] == "1"
                proxy.frozen.clear()
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    r = httpx.post(srv.url + "/v1/check", json={"text": "hi"}, headers=auth, timeout=20)
                    if r.status_code == 200:
                        break
                    time.sleep(0.2)
                assert r.status_code == 200
        finally:
            ks.close()
            proxy.close()


@needs_pg
@pytest.mark.postgres
def test_serving_engines_get_a_statement_timeout_the_url_can_override():
    with temporary_pg_schema(pg_url()) as db:
        for serving, extra, expected in (
            (False, None, "0"),
            (True, None, "30s"),
            (True, "-c statement_timeout=5s", "5s"),
        ):
            u = parse_url(db)
            if extra:
                u = u.update_query_dict({"options": f"{u.query['options']} {extra}"})
            engine = create_store_engine(u, serving=serving)
            try:
                with engine.connect() as conn:
                    assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == expected
                    # the schema option of the URL still applies
                    assert conn.exec_driver_sql("SHOW search_path").scalar().startswith("bastion_t_")
            finally:
                engine.dispose()


# --- M1: 503 with Retry-After for a database or Redis that is down ---------------------------------


def test_database_down_is_503_with_retry_after(key_store):
    ks, key = key_store
    ks.engine.dispose()
    ks.engine = create_store_engine(f"postgresql://u@127.0.0.1:{closed_port()}/db")
    with TestClient(fake_app(ks)) as client:
        r = client.post("/v1/check", json={"text": "hi"}, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
        assert "database is unavailable" in r.json()["detail"] and "request_id" in r.json()
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("kind", ["api", "proxy"])
def test_redis_down_is_503_with_retry_after(key_store, kind):
    ks, key = key_store
    settings = Settings(rate_limit="5/minute", redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    if kind == "api":
        app = fake_app(ks, settings)
        path, body = "/v1/check", {"text": "hi"}
    else:
        from bastion.proxy.app import ProxyConfig, create_proxy_app

        app = create_proxy_app(
            ProxyConfig("http://127.0.0.1:9/v1"),
            guard=fake_guard(),
            settings=settings,
            key_store=ks,
            audit_stream=io.StringIO(),
        )
        path, body = "/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    with TestClient(app) as client:
        for auth in (f"Bearer {key}", "Bearer bst_nope_wrong"):  # a wrong key meets Redis too
            r = client.post(path, json=body, headers={"Authorization": auth})
            assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
            message = r.json()["detail"] if kind == "api" else r.json()["error"]["message"]
            assert "Redis" in message and "unavailable" in message


# --- M2 / M3: no raw id left in statistics, heap pages or indexes ---------------------------------


def _check(store, user: str) -> None:
    from bastion import Action, CheckResult

    store.record_check(CheckResult(Action.ALLOW, 0.0, False, (), "hi", False), user_id=user, text="hi")


def _stats_hold(conn, needle: str) -> bool:
    rows = conn.exec_driver_sql(
        "SELECT coalesce(histogram_bounds::text, '') || coalesce(most_common_vals::text, '') FROM pg_stats "
        "WHERE schemaname = current_schema() AND tablename IN ('privacy_pseudonyms', 'privacy_vault')"
    ).all()
    return any(needle in r[0] for r in rows)


@needs_pg
@pytest.mark.postgres
def test_erase_vacuum_leaves_no_erased_id_in_pg_stats():
    with temporary_pg_schema(pg_url()) as db:
        store = store_mod.PrivacyStore(db, audit_key=b"k" * 32)
        try:
            for user in ("jane.doe@example.com", "bob@example.org", "carol@example.net"):
                _check(store, user)
            with store.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE privacy_pseudonyms")  # what autovacuum does by itself
                conn.commit()
            store.erase("jane.doe@example.com", vacuum=True)
            with store.engine.connect() as conn:
                assert not _stats_hold(conn, "jane.doe@example.com")
                targets = conn.exec_driver_sql(
                    "SELECT attrelid::regclass::text, attname, attstattarget FROM pg_attribute "
                    "WHERE (attrelid, attname) IN (('privacy_pseudonyms'::regclass, 'user_id'), "
                    "('privacy_vault'::regclass, 'scope'))"
                ).all()
            assert sorted(t[2] for t in targets) == [0, 0], targets
        finally:
            store.close()


@needs_pg
@pytest.mark.postgres
def test_migration_0005_drops_existing_statistics_of_raw_ids():
    with temporary_pg_schema(pg_url()) as db:
        migrate.upgrade(db, "0004")
        engine = create_store_engine(db)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO privacy_pseudonyms (user_id, pseudonym, created) VALUES "
                    "('old.user@example.com', 'p1', now()), ('other@example.com', 'p2', now())"
                )
                conn.exec_driver_sql("ANALYZE privacy_pseudonyms")
            with engine.connect() as conn:
                assert _stats_hold(conn, "old.user@example.com")
            migrate.upgrade(db)
            with engine.connect() as conn:
                assert not _stats_hold(conn, "old.user@example.com")
                conn.exec_driver_sql("ANALYZE privacy_pseudonyms")
                assert not _stats_hold(conn, "old.user@example.com")
                assert conn.exec_driver_sql("SELECT count(*) FROM privacy_pseudonyms").scalar() == 2
            migrate.downgrade(db, "0004")
            assert migrate.current(db) == "0004"
        finally:
            engine.dispose()


def _files_hold(store, needle: bytes) -> bool | None:
    """Whether the table or its indexes' files hold ``needle`` (None: cannot read them)."""
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            conn.exec_driver_sql("CHECKPOINT")
        except Exception:
            return None
        data_dir = conn.exec_driver_sql("SHOW data_directory").scalar()
        files = conn.execute(
            text(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c WHERE c.oid = 'privacy_pseudonyms'::regclass "
                "OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'privacy_pseudonyms'::regclass)"
            )
        ).scalars()
        found = False
        for f in files:
            try:
                with open(f"{data_dir}/{f}", "rb") as fh:
                    found = found or needle in fh.read()
            except OSError:
                return None
        return found


@needs_pg
@pytest.mark.postgres
def test_purge_vacuum_leaves_no_purged_id_in_table_files():
    with temporary_pg_schema(pg_url()) as db:
        store = store_mod.PrivacyStore(db, audit_key=b"k" * 32)
        try:
            _check(store, "purged.person@example.com")
            time.sleep(0.05)
            store.purge(timedelta(0))
            assert store.pseudonyms.get("purged.person@example.com") is None
            before = _files_hold(store, b"purged.person@example.com")
            if before is None:
                pytest.skip("the PostgreSQL data directory is not readable here")
            assert before  # a plain purge leaves it (what --vacuum is for)
            store.purge(timedelta(0), vacuum=True)
            assert _files_hold(store, b"purged.person@example.com") is False
        finally:
            store.close()


def test_audit_purge_takes_vacuum(home, capsys):
    db = f"sqlite:///{home / 'store.db'}"
    assert cli_main(["audit", "init", "--db", db]) == 0
    capsys.readouterr()
    assert cli_main(["audit", "purge", "--older-than", "90d", "--vacuum", "--db", db]) == 0
    assert '"deleted": 0' in capsys.readouterr().out


# --- L2: a user erased during a pseudonymising request: 409 ---------------------------------------


def test_user_erased_while_the_request_ran_is_409(url, key_store, monkeypatch):
    from bastion.api.sessions import SessionVaults

    ks, key = key_store
    store = store_mod.PrivacyStore(url, audit_key=b"a" * 32, vault_key=store_mod.new_vault_key())
    original = SessionVaults.vault

    def erased_meanwhile(self, key_id, user_id, session_id):
        vault = original(self, key_id, user_id, session_id)
        self.store.erase(user_id)  # `bastion audit erase USER` commits right now
        return vault

    headers = {"Authorization": f"Bearer {key}", "X-Bastion-User": "race.user@example.com"}
    body = {"text": "I am Jane Doe", "policy": {"default_operator": "pseudonymize"}, "session_id": "race"}
    try:
        with TestClient(fake_app(ks, privacy_store=store)) as client:
            monkeypatch.setattr(SessionVaults, "vault", erased_meanwhile)
            r = client.post("/v1/redact", json=body, headers=headers)
            assert r.status_code == 409, r.text
            assert r.json()["detail"].startswith("the user was erased while this request ran; retry")
            monkeypatch.setattr(SessionVaults, "vault", original)
            r = client.post("/v1/redact", json=body, headers=headers)
            assert r.status_code == 200 and "<PERSON_1>" in r.json()["redacted_text"]
    finally:
        store.close()


def test_two_differing_database_urls_are_named_without_their_passwords(monkeypatch):
    # s32: resolve_db_url printed both URLs with repr(), passwords included
    from bastion.errors import ConfigError
    from bastion.home import resolve_db_url

    monkeypatch.setenv("BASTION_STORE_URL", "postgresql://u:Secret1@h/db")
    monkeypatch.setenv("BASTION_DB_URL", "postgresql://u@h/db2?password=Secret2")
    with pytest.raises(ConfigError) as err:
        resolve_db_url()
    assert "Secret1" not in str(err.value) and "Secret2" not in str(err.value)
