"""Engine creation and the transaction helpers every store component shares.

SQLite and PostgreSQL need different tools for the same two guarantees:

- one writer at a time on the audit chain: SQLite ``BEGIN IMMEDIATE`` (takes the write
  lock when the transaction starts, so two appenders can never read the same chain tail),
  PostgreSQL ``pg_advisory_xact_lock`` (released automatically at commit or rollback);
- removing personal data for good after an erasure: SQLite ``secure_delete`` plus a WAL
  checkpoint; PostgreSQL keeps deleted tuples in heap pages until VACUUM, so
  :func:`vacuum_tables` rewrites the affected tables (``VACUUM (FULL, ANALYZE)``; the
  raw-id columns keep no planner statistics at all: migration 0005).

A PostgreSQL server that stops answering must not hang a request forever: connections
get a connect timeout, TCP keepalives and a pool timeout, and engines that serve requests
also a statement and lock timeout (:func:`create_store_engine`).

There is deliberately no "maintenance mode": schema 0002 had one, and anyone who could
write to the database could switch it on. The audit triggers now only check the chain
head's counters, and the chain's MACs need a key the database never sees.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from bastion.errors import ConfigError
from bastion.home import DB_URL_ENV as DB_URL_ENV  # the one URL variable
from bastion.home import ensure_home, resolve_db_url
from bastion.store.urls import safe_url

# pg_advisory_xact_lock key that serialises audit appends ("bastion" in ASCII).
AUDIT_LOCK_KEY = 0x62617374696F6E
# (class id, object id) pairs used for the vault's per-scope token counters.
VAULT_LOCK_CLASS = 0x7661756C

_READONLY = "bastion_readonly"

# libpq connection parameters every PostgreSQL engine gets unless its URL sets them
# (``?connect_timeout=30``): without them a server that stops answering (frozen, or a
# network drop without a reset) leaves connect and every query waiting forever.
PG_CONNECT_DEFAULTS: dict[str, int] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
# Seconds a request waits for a pooled connection before giving up (SQLAlchemy's default).
POOL_TIMEOUT_S = 10
# For engines that serve requests (the API, the proxy): the server cancels a statement
# that runs longer, or waits longer for a lock. Not for the CLI: a purge or export of a
# large trail may legitimately run longer, and its operator is there to interrupt it.
SERVING_STATEMENT_TIMEOUT_MS = 30_000
SERVING_LOCK_TIMEOUT_MS = 10_000
# How long a SQLite statement waits for a lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long :func:`checkpoint` waits for readers of an older snapshot by default (the
# busy timeout's length: what a single checkpoint used to wait).
CHECKPOINT_WAIT_S = 30.0


def default_url() -> str:
    """``$BASTION_DB_URL``, else ``sqlite:///$BASTION_HOME/bastion.db`` (see
    :func:`bastion.home.resolve_db_url`; the home directory is created when that is the
    answer, so the first use of the default store just works)."""
    loc = resolve_db_url()
    if loc.is_default:
        ensure_home()
    return loc.url


def parse_url(url: str | URL) -> URL:
    """Parse a SQLAlchemy URL; a bare ``postgresql://`` gets the psycopg 3 driver (the
    one the ``store`` extra installs) instead of SQLAlchemy's psycopg2 default."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        # ValueError: a port that is not a number, a broken IPv6 literal. The exception's
        # own message may quote the URL, so only its kind is shown.
        raise ConfigError(
            f"invalid database URL {safe_url(url)}: {type(exc).__name__} (check the host, port and "
            "escaping: special characters in a password must be %-encoded)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
    return parsed


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or in-memory SQLite)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_store_engine(url: str | URL, *, create: bool = True, serving: bool = False) -> Engine:
    """An engine configured for the store's locking and maintenance rules. With
    ``create=False`` a missing SQLite file is a :class:`ConfigError` instead of a new,
    empty database.

    On PostgreSQL every engine gets :data:`PG_CONNECT_DEFAULTS` and a pool timeout, and
    with ``serving=True`` (the API's and the proxy's engines) also a statement timeout and
    a lock timeout (:data:`SERVING_STATEMENT_TIMEOUT_MS`, :data:`SERVING_LOCK_TIMEOUT_MS`).
    The URL's own query parameters win: ``?connect_timeout=30``,
    ``?options=-c statement_timeout=0``.

    >>> create_store_engine("sqlite://").dialect.name
    'sqlite'
    """
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, create)
        return create_engine(
            parsed,
            pool_pre_ping=True,
            pool_timeout=POOL_TIMEOUT_S,
            connect_args=pg_connect_args(parsed, serving=serving),
        )
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigError(f"cannot open database {safe_url(parsed)}: {exc}") from None


def pg_connect_args(url: URL, *, serving: bool = False) -> dict[str, object]:
    """The libpq parameters a PostgreSQL engine adds to its URL's (see
    :func:`create_store_engine`). SQLAlchemy lets ``connect_args`` override the URL's query,
    so only what the URL leaves unset is returned, and the timeouts go in front of the URL's
    own ``options`` (a later ``-c`` wins).

    >>> "connect_timeout" in pg_connect_args(parse_url("postgresql://h/db?connect_timeout=3"))
    False
    >>> pg_connect_args(parse_url("postgresql://h/db?options=-csearch_path%3Dx"), serving=True)["options"]
    '-c statement_timeout=30000 -c lock_timeout=10000 -csearch_path=x'
    """
    args: dict[str, object] = {k: v for k, v in PG_CONNECT_DEFAULTS.items() if k not in url.query}
    if serving:
        own = url.query.get("options")
        own = " ".join(own) if isinstance(own, tuple) else own
        timeouts = (
            f"-c statement_timeout={SERVING_STATEMENT_TIMEOUT_MS} -c lock_timeout={SERVING_LOCK_TIMEOUT_MS}"
        )
        args["options"] = f"{timeouts} {own}" if own else timeouts
    return args


def _sqlite_engine(url: URL, create: bool) -> Engine:
    path = sqlite_path(url)
    if path is None:
        # An in-memory database exists per connection: share one across threads.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 30}
        )
    else:
        if not path.parent.exists():
            raise ConfigError(f"directory of SQLite database {path} does not exist")
        if not path.exists() and not create:
            raise ConfigError(
                f"no SQLite database at {path}: run `bastion audit init --db {safe_url(url)}` "
                "to create it (or check the path)"
            )
        if not path.exists():
            # Audit metadata is still personal-data-adjacent: owner-only from the start
            # (SQLite gives its -wal/-shm files the database file's permissions).
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from pysqlite so the "begin" hook decides how
        # transactions start (its implicit BEGIN is DEFERRED, which lets two writers
        # read the same chain tail).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        # Erasure must not leave the deleted user id or pseudonym in free pages.
        cur.execute("PRAGMA secure_delete = ON")
        if path is not None:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get(_READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def is_postgres(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "postgresql"


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the audit-chain write lock (SQLite: BEGIN IMMEDIATE)."""
    with engine.begin() as conn:
        if is_postgres(conn):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
        yield conn


@contextmanager
def read_tx(engine: Engine, *, snapshot: bool = False) -> Iterator[Connection]:
    """A read transaction that does not block writers (SQLite: deferred BEGIN under WAL,
    which already reads one snapshot). ``snapshot=True`` makes every statement on
    PostgreSQL see the same snapshot too (REPEATABLE READ), for multi-query reads such as
    verify's anchor + chain walk racing a purge."""
    with engine.connect() as conn:
        opts: dict[str, object] = {_READONLY: True}
        if snapshot and is_postgres(conn):
            opts["isolation_level"] = "REPEATABLE READ"
        conn = conn.execution_options(**opts)
        with conn.begin():
            yield conn


def checkpoint(engine: Engine, *, wait_s: float = CHECKPOINT_WAIT_S) -> bool:
    """SQLite: copy the WAL into the database and truncate it, so pages that held erased
    rows do not linger in the -wal file. Returns whether the WAL was cleared: a reader
    that keeps an older snapshot open blocks the truncation, so it is retried with
    back-off for about ``wait_s`` seconds, and False means the -wal file may still hold
    deleted rows (re-run the erasure or purge, or ``VACUUM``, once the reader is gone).
    Always True on PostgreSQL and in-memory SQLite (no WAL file of ours)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return True
    import sqlite3

    deadline = time.monotonic() + max(0.0, wait_s)
    delay = 0.05
    with engine.connect() as conn:
        # On the raw connection: through SQLAlchemy it would run inside BEGIN IMMEDIATE,
        # and a checkpoint cannot run inside a transaction.
        raw = conn.connection.driver_connection
        try:
            while True:
                left = deadline - time.monotonic()
                # the busy handler waits for readers inside one attempt; bound it by what is left
                raw.execute(f"PRAGMA busy_timeout = {max(0, int(left * 1000))}")
                try:
                    row = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                except sqlite3.Error:
                    row = None  # locked by another connection's statement: as busy
                # (busy, frames in the WAL, frames checkpointed); -1 frames: not in WAL mode
                if row is not None and row[0] == 0 and row[1] == row[2]:
                    return True
                if time.monotonic() + delay > deadline:
                    return False
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        finally:
            with suppress(sqlite3.Error):
                raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def vacuum_tables(engine: Engine, tables: tuple[str, ...], *, what: str = "erasure") -> bool:
    """Physically remove deleted rows: PostgreSQL ``VACUUM (FULL, ANALYZE)`` on ``tables``
    (the table is rewritten into new files; it holds an ACCESS EXCLUSIVE lock while it
    runs, and the old tuples may survive in WAL segments until they are recycled; ANALYZE
    rebuilds the planner statistics, which VACUUM (FULL) alone leaves holding sampled
    values of deleted rows); SQLite ``VACUUM`` of the whole file (``secure_delete``
    already zeroes freed cells), then :func:`checkpoint`, whose outcome it returns (True
    on PostgreSQL). ``what`` names the committed change in error messages."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            # a rewrite of a large table may take longer than a serving engine's timeouts;
            # SET (not SET LOCAL: autocommit) lasts until the connection is reset below
            conn.exec_driver_sql("SET statement_timeout = 0")
            conn.exec_driver_sql("SET lock_timeout = 0")
            # A non-owner's VACUUM is only a WARNING and skips the table: check first.
            not_owned = [
                table
                for table in tables
                if not conn.execute(
                    text(
                        "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
                        "WHERE oid = to_regclass(:t)"
                    ),
                    {"t": table},
                ).scalar()
            ]
            try:
                if not_owned:
                    raise ConfigError(
                        f"the {what} is committed, but this role does not own {', '.join(not_owned)}: "
                        f"run VACUUM (FULL, ANALYZE) {', '.join(tables)} as the owner "
                        f"(or the same command with --vacuum as the owner)"
                    )
                for table in tables:
                    try:
                        conn.exec_driver_sql(f'VACUUM (FULL, ANALYZE) "{table}"')
                    except DBAPIError as exc:
                        raise ConfigError(
                            f"the {what} is committed, but VACUUM (FULL, ANALYZE) {table} failed "
                            f"({exc.orig}): run it as the table's owner: "
                            f"VACUUM (FULL, ANALYZE) {', '.join(tables)}"
                        ) from None
            finally:
                # the pooled connection goes back with the engine's own timeouts
                with suppress(DBAPIError):
                    conn.exec_driver_sql("RESET statement_timeout")
                    conn.exec_driver_sql("RESET lock_timeout")
        return True
    if engine.url.database in (None, "", ":memory:"):
        return True
    with engine.connect() as conn:
        # Like checkpoint(): VACUUM cannot run inside the BEGIN IMMEDIATE the engine issues.
        conn.connection.driver_connection.execute("VACUUM")
    return checkpoint(engine)
