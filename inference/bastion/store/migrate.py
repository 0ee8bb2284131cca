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
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine.url import URL

from bastion.errors import InputError
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
            if fn_name == "downgrade":
                _refuse_unkeying(conn, cfg, rev)
            getattr(command, fn_name)(cfg, rev)
    finally:
        if engine is not target:
            engine.dispose()


def _refuse_unkeying(conn: Connection, cfg: Any, rev: str) -> None:
    """A keyed chain has no schema 0001/0002 form: going there would leave rows whose only
    check is an unkeyed hash anyone can recompute, and the upgrade back would take them as
    legacy rows to seal. ``base`` (dropping every table) stays possible: an empty store is
    what ``verify --expect-head`` exists to catch."""
    from alembic.script import ScriptDirectory

    from bastion.store.audit_chain import read_head

    now = current_on(conn)
    if now is None:
        return
    undone = {r.revision for r in ScriptDirectory.from_config(cfg).iterate_revisions(now, rev)}
    if "0003" not in undone or "0001" in undone:
        return
    head = read_head(conn)
    if head is not None and head.sealed:
        raise InputError(
            f"refusing to downgrade to {rev}: the audit chain is keyed (MAC'd with the audit key) and "
            "schema 0001/0002 have no keyed form; export it (bastion audit export) and drop the store "
            "with --down-to base instead"
        )


def upgrade(url: str | URL | Engine, rev: str = "head") -> None:
    """Bring the store schema up to ``rev`` (default: the newest revision)."""
    _run(url, "upgrade", rev)


def downgrade(url: str | URL | Engine, rev: str) -> None:
    """Take the store schema down to ``rev`` (``"base"`` drops every store table). A
    keyed audit chain cannot go below 0003 other than to ``base``: :class:`InputError`."""
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
