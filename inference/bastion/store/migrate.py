"""Schema migrations, run programmatically (no ``alembic.ini``).

>>> import tempfile, os
>>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "m.db")
>>> upgrade(url); current(url)
'0005'
>>> downgrade(url, "base"); current(url) is None
True
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine.url import URL

from bastion.store.db import AUDIT_LOCK_KEY, create_store_engine, is_postgres

# Own version table, so the store can share a database with other alembic-managed apps.
VERSION_TABLE = "bastion_store_version"
HEAD = "0005"
_SCRIPTS = Path(__file__).resolve().parent / "migrations"


def _run(target: str | URL | Engine, fn_name: str, rev: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = target if isinstance(target, Engine) else create_store_engine(target)
    try:
        with engine.begin() as conn:
            if is_postgres(conn):
                # A serving engine's statement and lock timeouts must not cut a migration
                # short, nor the wait of a worker whose neighbour is migrating.
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
                conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
                # Several workers starting at once must not race on CREATE TABLE.
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
            cfg = Config()
            cfg.set_main_option("script_location", str(_SCRIPTS))
            cfg.attributes["connection"] = conn
            getattr(command, fn_name)(cfg, rev)
    finally:
        if engine is not target:
            engine.dispose()


def upgrade(url: str | URL | Engine, rev: str = "head") -> None:
    """Bring the store schema up to ``rev`` (default: the newest revision)."""
    _run(url, "upgrade", rev)


def downgrade(url: str | URL | Engine, rev: str) -> None:
    """Take the store schema down to ``rev`` (``"base"`` drops every store table)."""
    _run(url, "downgrade", rev)


def current_on(conn: Connection) -> str | None:
    from alembic.migration import MigrationContext

    ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def current(url: str | URL | Engine) -> str | None:
    """The schema revision the database is at (None when the store was never created)."""
    engine = url if isinstance(url, Engine) else create_store_engine(url)
    try:
        with engine.connect() as conn:
            return current_on(conn)
    finally:
        if engine is not url:
            engine.dispose()
