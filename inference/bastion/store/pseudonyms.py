"""The user → pseudonym table: the only place a real user id meets its pseudonym.

Audit rows, consent records and vault entries carry the random pseudonym; erasing the
link here makes all of them unlinkable to the person.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bastion.errors import InputError
from bastion.store.audit import Clock, check_str, utcnow
from bastion.store.db import is_postgres, read_tx, write_tx
from bastion.store.schema import pseudonyms


def check_user_id(user_id: object) -> str:
    value = check_str("user_id", user_id, 255, optional=False)
    if not value.strip():  # type: ignore[union-attr]
        raise InputError("user_id must not be blank")
    return value  # type: ignore[return-value]


def new_pseudonym() -> str:
    return "u_" + secrets.token_hex(16)


class Pseudonyms:
    """Random, stable pseudonyms per user id.

    >>> import tempfile, os
    >>> from bastion.store import PrivacyStore
    >>> s = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> p = s.pseudonyms.get_or_create("alice"); p == s.pseudonyms.get("alice"), p.startswith("u_")
    (True, True)
    """

    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def get(self, user_id: str) -> str | None:
        """The user's pseudonym, or None if the store never saw the user (or erased them)."""
        user_id = check_user_id(user_id)
        with read_tx(self._engine) as conn:
            return self.get_on(conn, user_id)

    def get_or_create(self, user_id: str) -> str:
        user_id = check_user_id(user_id)
        existing = self.get(user_id)
        if existing is not None:
            return existing
        with write_tx(self._engine) as conn:
            return self.get_or_create_on(conn, user_id)

    @staticmethod
    def get_on(conn: Connection, user_id: str) -> str | None:
        return conn.execute(select(pseudonyms.c.pseudonym).where(pseudonyms.c.user_id == user_id)).scalar()

    def get_or_create_on(self, conn: Connection, user_id: str) -> str:
        user_id = check_user_id(user_id)
        found = self.get_on(conn, user_id)
        if found is not None:
            return found
        ins = (pg_insert if is_postgres(conn) else sqlite_insert)(pseudonyms)
        # Two processes may meet the same new user at once: the loser's insert is a no-op
        # and both read the winner's pseudonym.
        conn.execute(
            ins.values(
                user_id=user_id, pseudonym=new_pseudonym(), created=self._clock()
            ).on_conflict_do_nothing(index_elements=["user_id"])
        )
        found = self.get_on(conn, user_id)
        if found is None:  # pragma: no cover - would mean the insert silently failed
            raise InputError(f"could not create a pseudonym for user {user_id!r}")
        return found

    @staticmethod
    def delete_on(conn: Connection, user_id: str) -> int:
        return conn.execute(delete(pseudonyms).where(pseudonyms.c.user_id == user_id)).rowcount
