"""Alembic environment, driven only programmatically by :mod:`bastion.store.migrate`.

No ``alembic.ini``: the caller hands over an open connection in
``config.attributes["connection"]``, so the engine (with the store's SQLite transaction
handling) and the URL never pass through configparser.
"""

from __future__ import annotations

from alembic import context
from bastion.store.migrate import VERSION_TABLE


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through bastion.store.migrate.upgrade(url)")
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table=VERSION_TABLE,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic installs context.config only while it runs this file; a plain import (doctest
# collection, tooling) must be harmless.
if hasattr(context, "config"):
    run_migrations()
