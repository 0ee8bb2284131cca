"""Helpers for the tests that run on the store's database (SQLite and, when configured,
PostgreSQL). A module of its own, not conftest.py: importing ``bastion.store`` takes
seconds, and most test runs never need it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from bastion.store.db import create_store_engine
from bastion.store.testing import backend_params, backend_url
from sqlalchemy import Connection, inspect


def url_fixture():
    """A ``url`` fixture: a fresh, empty store per backend (a SQLite file in ``tmp_path``,
    or a PostgreSQL schema dropped afterwards). A test module binds it to the fixture's
    name: ``url = url_fixture()``."""

    @pytest.fixture(params=backend_params())
    def url(request, tmp_path):
        with backend_url(request.param, tmp_path) as u:
            yield u

    return url


class FakeClock:
    """A store clock the test moves by hand (``clock.now += ...``): each call returns the
    current time, then moves it on by ``step`` (none by default: the time stands still)."""

    def __init__(self, start: datetime, step: timedelta = timedelta(0)) -> None:
        self.now = start
        self.step = step
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            t = self.now
            self.now += self.step
            return t


def table_names(url: str) -> set[str]:
    """Every table in the database at ``url`` (the store's and any other)."""
    engine = create_store_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def bypass_triggers(conn: Connection) -> None:
    """Switch the audit trail's append-only triggers off for the rest of ``conn``'s
    transaction, as someone with DDL rights can: PostgreSQL runs them only for the origin
    replication role, SQLite loses them (dropped)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        return
    for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").all():
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
