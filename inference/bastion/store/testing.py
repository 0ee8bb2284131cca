"""Helpers for tests that run on both SQLite and PostgreSQL (used by the test suite;
handy for anyone testing code on top of the store).

PostgreSQL tests need ``$BASTION_TEST_PG_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/bastion_test``); each test gets its own
schema, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from bastion.store.db import create_store_engine, parse_url

PG_URL_ENV = "BASTION_TEST_PG_URL"
SKIP_REASON = f"{PG_URL_ENV} is not set: PostgreSQL backend skipped (see .ci/services.sh)"


def pg_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


@contextmanager
def temporary_pg_schema(base_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema (via ``search_path``); the schema and
    everything in it are dropped on exit."""
    name = "bastion_t_" + secrets.token_hex(6)
    engine = create_store_engine(base_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        url = parse_url(base_url).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


@contextmanager
def backend_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """``backend`` is ``"sqlite"`` (a file in ``tmp_path``) or ``"postgresql"``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = pg_url()
    if base is None:
        raise RuntimeError(SKIP_REASON)
    with temporary_pg_schema(base) as url:
        yield url


def backend_params() -> list:
    """pytest parameters for the two backends; PostgreSQL is skipped, with the reason,
    when no server URL is configured. (pytest is imported here only: tests call this.)"""
    import pytest

    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=[pytest.mark.postgres, pytest.mark.skipif(pg_url() is None, reason=SKIP_REASON)],
        ),
    ]
