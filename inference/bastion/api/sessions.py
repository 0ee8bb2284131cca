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
The same session id can be used again after that, but its token numbers go on from the
expired session's (:meth:`bastion.store.PersistentVault.expire`): a conversation that still
holds the old ``<PERSON_1>`` must not get a new person's name back for it. Those numbering
floors (no values, no session id in clear) are kept for :data:`FLOORS_KEEP` or one time to
live, whichever is longer.

The vault key is checked when this object is built (:meth:`PersistentVault.check_key`):
with another key than the vault was written with, or a key that is set but unusable,
:attr:`SessionVaults.key_error` says why, it is logged at ERROR, ``bastion serve`` refuses
to start, and every session call raises :class:`~bastion.store.vault.VaultKeyError` (the
API answers 503) instead of writing entries no one could read back with one key.

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

import logging
import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select

from bastion.errors import ConfigError, InputError
from bastion.redact import restore_counts

log = logging.getLogger("bastion.api")

SCOPE_PREFIX = "api/"
SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_SESSION_ID = re.compile(SESSION_ID_PATTERN)
# how long an expired session's numbering floors are kept (at least one time to live)
FLOORS_KEEP = timedelta(days=365)
_VAULT_KEY_ENVS = ("BASTION_VAULT_KEY", "BASTION_VAULT_KEY_FILE")
# the owner a restore for an unknown user looks under: matches no vault entry
_NO_OWNER = "u_none"


def _key_configured(store: Any) -> bool:
    """Whether a vault key was given at all (an argument or the environment): only then is
    a key that fails to load an error rather than sessions simply being off."""
    if any(os.environ.get(name) for name in _VAULT_KEY_ENVS):
        return True
    given = getattr(getattr(store, "_keys", None), "_vault_arg", None) or ()
    return any(x is not None for x in given)


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
    (tests pass the same fake clock to both). Raises :class:`ConfigError` when no vault key
    is configured (sessions are off); a key that is configured but unusable or wrong is
    kept in :attr:`key_error` instead (see the module docstring).
    """

    def __init__(self, store: Any, *, ttl_s: float, clock: Callable[[], datetime] = _utcnow) -> None:
        if not ttl_s > 0:
            raise InputError("the session time to live must be positive")
        self.store = store
        self.ttl = timedelta(seconds=ttl_s)
        self._clock = clock
        self.key_error: str | None = None
        self._probe: Any = None
        try:
            # loads the vault key, so a missing or malformed key shows now, not on a request
            probe = store.vault(session=SCOPE_PREFIX + "startup-check")
        except ConfigError as exc:
            if not _key_configured(store):
                raise
            self.key_error = f"the vault key is set but unusable: {exc}"
        else:
            from bastion.store.vault import VaultKeyError

            try:
                probe.check_key()
                self._probe = probe
            except VaultKeyError as exc:
                self.key_error = str(exc)
        if self.key_error is not None:
            log.error("pseudonymisation sessions refuse every request: %s", self.key_error)

    def _usable(self) -> Any:
        """The probe vault (its engine and keys make every session's vault), or raise."""
        if self._probe is None:
            from bastion.store.vault import VaultKeyError

            raise VaultKeyError(self.key_error or "the vault key was not checked")
        return self._probe

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

    def vault(self, key_id: str | None, user_id: str | None, session_id: str) -> Any:
        """The vault new tokens of this session go to (an expired session is emptied first;
        its token numbers are not handed out again).

        Blocking (database I/O): call it from a worker thread.
        """
        self._usable()
        scope = self.scope(key_id, session_id)
        v = (
            self.store.vault(user_id, session=scope)
            if user_id is not None
            else self.store.vault(session=scope)
        )
        if self._expired(v.owner, scope):
            v.expire(started_before=self._clock() - self.ttl)
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

        ``restored`` and ``unknown`` count the token occurrences, in any form
        :func:`bastion.redact.restore` reads, that got a value back or have none here; they
        come from the substitution that wrote ``text``. All of the text's tokens are looked
        up at once.

        Blocking (database I/O): call it from a worker thread.
        """
        probe = self._usable()
        scope = self.scope(key_id, session_id)
        # a lookup only: a restore must not create a pseudonym for a user never seen. Such a
        # user goes on under an owner no pseudonym can be (they are "u_" + hex): the same
        # queries as a known user's, so the time of the 404 does not tell another key
        # whether anyone ever sent this user id (s34 L4)
        owner = "" if user_id is None else self.store.pseudonyms.get(user_id) or _NO_OWNER
        v = probe.for_scope(owner, scope)
        if self._expired(owner, scope):
            v.expire(started_before=self._clock() - self.ttl)
            return None
        if len(v) == 0:
            return None
        out = restore_counts(text, v, tokens=tokens)
        return Restored(out.text, out.restored, out.unknown)

    def purge_expired(self) -> int:
        """Erase every API session older than the time to live (keeping its numbering
        floors, see :meth:`vault`) and floors older than :data:`FLOORS_KEEP`; returns the
        entries removed. A no-op while the vault key is wrong: nothing is lost that the
        right key could still read."""
        if self._probe is None:
            return 0
        t, read_tx, _ = self._tables()
        now = self._clock()
        old = (
            select(t.c.owner, t.c.scope)
            .where(t.c.scope.startswith(SCOPE_PREFIX, autoescape=True))
            .group_by(t.c.owner, t.c.scope)
            .having(func.min(t.c.created) <= now - self.ttl)
        )
        with read_tx(self.store.engine) as conn:
            pairs = conn.execute(old).all()
        n = 0
        for owner, scope in pairs:
            # one transaction per session; expire() checks the age again under the scope's
            # lock, as a request may have expired it and started a fresh one meanwhile
            n += self._probe.for_scope(owner, scope).expire(started_before=now - self.ttl)
        self._probe.purge_floors(self.store.engine, now - max(FLOORS_KEEP, self.ttl))
        return n


__all__ = ["SESSION_ID_PATTERN", "Restored", "SessionVaults"]
