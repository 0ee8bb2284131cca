"""Session-scoped pseudonymisation vaults for the HTTP API.

A request with ``"session_id"`` and a ``pseudonymize`` operator stores its token → value
pairs in the privacy store's encrypted vault (:class:`bastion.store.PersistentVault`);
``POST /v1/restore`` puts them back. A vault is keyed by

- **owner**: the store's pseudonym of the request's user (``X-Bastion-User`` / ``user_id``,
  else the API key id), so ``bastion audit erase USER`` deletes it with the rest of the
  user's data;
- **scope**: ``api/<key id>/<session id>``, so another API key naming the same session
  (or the same user) sees an empty vault and restores nothing.

A session expires ``ttl_s`` after its first value was stored (an absolute lifetime, not a
sliding one: a session cannot be kept alive forever). Expired sessions are erased when
next touched and by :meth:`SessionVaults.purge_expired`, which the app runs periodically.

>>> import os, tempfile
>>> from bastion.store import PrivacyStore, new_vault_key
>>> store = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "s.db"),
...                      audit_key=b"k" * 32, vault_key=new_vault_key())
>>> sv = SessionVaults(store, ttl_s=3600)
>>> sv.vault("key1", "alice", "chat-1").token_for("PERSON", "Jane")
'<PERSON_1>'
>>> sv.restore("key1", "alice", "chat-1", "hi <PERSON_1>").text
'hi Jane'
>>> sv.restore("key2", "alice", "chat-1", "hi <PERSON_1>") is None   # another key: unknown
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, delete, func, select

from bastion.errors import InputError
from bastion.redact import restore as restore_text

SCOPE_PREFIX = "api/"
SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_SESSION_ID = re.compile(SESSION_ID_PATTERN)
_TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class Restored:
    """The outcome of a restore: the text with values put back and how many tokens were."""

    text: str
    restored: int
    unknown: int


class SessionVaults:
    """Per (API key, user, session) persistent vaults with an absolute time to live.

    ``store`` is a :class:`bastion.store.PrivacyStore`; ``clock`` must be the store's clock
    (tests pass the same fake clock to both).
    """

    def __init__(self, store: Any, *, ttl_s: float, clock: Callable[[], datetime] = _utcnow) -> None:
        if not ttl_s > 0:
            raise InputError("the session time to live must be positive")
        # building a vault loads the vault key (no database write), so a missing key fails
        # at startup, not on a request
        store.vault(session=SCOPE_PREFIX + "startup-check")
        self.store = store
        self.ttl = timedelta(seconds=ttl_s)
        self._clock = clock

    @staticmethod
    def scope(key_id: str | None, session_id: str) -> str:
        if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
            raise InputError("session_id must be 1-128 characters of A-Z a-z 0-9 . _ : -")
        return f"{SCOPE_PREFIX}{key_id or '-'}/{session_id}"

    def _tables(self) -> tuple[Any, Any, Any]:
        from bastion.store.db import read_tx, write_tx
        from bastion.store.schema import vault_entries

        return vault_entries, read_tx, write_tx

    def _expired(self, owner: str, scope: str) -> bool:
        """Whether the (owner, scope) session started more than ``ttl`` ago."""
        t, read_tx, _ = self._tables()
        with read_tx(self.store.engine) as conn:
            started = conn.execute(
                select(func.min(t.c.created)).where(t.c.owner == owner, t.c.scope == scope)
            ).scalar()
        if started is None:
            return False
        if started.tzinfo is None:  # SQLite hands back naive UTC for aggregates
            started = started.replace(tzinfo=timezone.utc)
        return started <= self._clock() - self.ttl

    def _erase(self, owner: str, scope: str) -> int:
        t, _, write_tx = self._tables()
        with write_tx(self.store.engine) as conn:
            return int(conn.execute(delete(t).where(t.c.owner == owner, t.c.scope == scope)).rowcount)

    def vault(self, key_id: str | None, user_id: str | None, session_id: str) -> Any:
        """The vault new tokens of this session go to (an expired session starts afresh).

        Blocking (database I/O): call it from a worker thread.
        """
        scope = self.scope(key_id, session_id)
        v = (
            self.store.vault(user_id, session=scope)
            if user_id is not None
            else self.store.vault(session=scope)
        )
        if self._expired(v.owner, scope):
            self._erase(v.owner, scope)
        return v

    def restore(
        self,
        key_id: str | None,
        user_id: str | None,
        session_id: str,
        text: str,
        tokens: Collection[str] | None = None,
    ) -> Restored | None:
        """``text`` with this session's tokens replaced by their values; ``None`` when the
        session is unknown to this key and user (never created, expired or erased).

        Blocking (database I/O): call it from a worker thread.
        """
        scope = self.scope(key_id, session_id)
        if user_id is None:
            owner = ""
        else:
            # a lookup only: a restore must not create a pseudonym for a user never seen
            owner = self.store.pseudonyms.get(user_id)
            if owner is None:
                return None
        if self._expired(owner, scope):
            self._erase(owner, scope)
            return None
        # the user's pseudonym exists (checked above), so this creates nothing
        v = (
            self.store.vault(user_id, session=scope)
            if user_id is not None
            else self.store.vault(session=scope)
        )
        if len(v) == 0:
            return None
        found = unknown = 0
        allowed = None if tokens is None else frozenset(tokens)
        for m in _TOKEN.finditer(text):
            if allowed is not None and m.group(0) not in allowed:
                continue
            if v.value_for(m.group(0)) is None:
                unknown += 1
            else:
                found += 1
        return Restored(restore_text(text, v, tokens=tokens), found, unknown)

    def purge_expired(self) -> int:
        """Erase every API session older than the time to live; returns the entries removed."""
        t, _, write_tx = self._tables()
        cutoff = self._clock() - self.ttl
        old = (
            select(t.c.owner, t.c.scope)
            .where(t.c.scope.startswith(SCOPE_PREFIX, autoescape=True))
            .group_by(t.c.owner, t.c.scope)
            .having(func.min(t.c.created) <= cutoff)
        )
        with write_tx(self.store.engine) as conn:
            pairs = conn.execute(old).all()
            n = 0
            for owner, scope in pairs:
                n += int(conn.execute(delete(t).where(and_(t.c.owner == owner, t.c.scope == scope))).rowcount)
        return n


__all__ = ["SESSION_ID_PATTERN", "Restored", "SessionVaults"]
