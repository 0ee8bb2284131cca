"""Persistent, encrypted vault for reversible pseudonymisation.

A drop-in for :class:`bastion.redact.Vault` (``token_for`` / ``value_for``), so
``Pseudonymize(vault)`` and ``restore(text, vault)`` work unchanged, but tokens survive
restarts and are shared by every process using the database.

- Values are encrypted with AES-256-GCM; the associated data binds each ciphertext to its
  owner, scope, label and token, so a row copied into another scope will not decrypt.
- ``token_for`` finds an existing token through an HMAC of (owner, scope, label, value),
  never by decrypting rows. Encryption and lookup keys are derived (HKDF) from one master
  key that lives outside the database (see :mod:`bastion.store.keys`).
- Entries are erasable per scope and, through :meth:`PrivacyStore.erase`, per user.
- :meth:`PersistentVault.check_key` keeps one key-check row (an AES-GCM encryption of a
  constant), so a server started with another key finds out before it writes anything;
  :meth:`PersistentVault.expire` deletes a scope's entries but keeps its token numbering.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement, Connection, Engine, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bastion.errors import ConfigError, InputError
from bastion.redact import Vault
from bastion.store.audit import Clock, check_str, utcnow
from bastion.store.db import VAULT_LOCK_CLASS, checkpoint, is_postgres, read_tx, write_tx
from bastion.store.keys import derive, frame, hmac_hex
from bastion.store.schema import pseudonyms, vault_entries

if TYPE_CHECKING:
    from datetime import datetime

# restore() only recognises <LABEL_n> with an upper-case label.
_LABEL = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
MAX_VALUE_CHARS = 65536
_NUMBER = re.compile(r"_([0-9]+)>$")
# token IN (...) lists per query: under SQLite's oldest bound-parameter limit (999)
_LOOKUP_BATCH = 500
# How long an expiry waits for SQLite readers before leaving the -wal file to the next
# checkpoint: it may run inside a request, which must not stall behind a long export.
EXPIRE_CHECKPOINT_WAIT_S = 1.0

# The key-check row: owner "" and a scope no vault of the API or of PrivacyStore.vault
# uses, and a lookup that is not 64 hex digits, so it can never meet a real entry's HMAC.
KEY_CHECK_SCOPE = "bastion/vault-key-check"
KEY_CHECK_LABEL = "KEY_CHECK"
KEY_CHECK_TOKEN = "~key-check"
KEY_CHECK_LOOKUP = "vault-key-check/v1"
_KEY_CHECK_VALUE = b"bastion vault key check v1"

# A numbering floor (see PersistentVault.expire): owner "" and a scope that is an HMAC, so
# the row neither names the session nor keeps the user's pseudonym link alive.
FLOORS_SCOPE_PREFIX = "floors/"
FLOORS_LABEL = "FLOORS"
FLOORS_TOKEN = "~floors"


_WRONG_KEY = (
    "the vault key is not the one this database's vault was written with: start with the "
    "original BASTION_VAULT_KEY (or BASTION_VAULT_KEY_FILE); if that key is lost, the stored "
    'sessions cannot be read by anyone (docs/api.md, "The vault key")'
)


class UserErasedError(InputError):
    """The vault's user was erased after the vault was handed out (an erasure that ran while
    a request pseudonymised): nothing is stored for them. Get a new vault and retry; the
    API answers 409."""


class VaultKeyError(ConfigError):
    """The vault key does not decrypt what the vault holds (another key than the one the
    entries were written with, or an altered row). A server-side fault: the API answers
    503 and logs it; a client cannot fix it."""


class PersistentVault(Vault):
    """Token ↔ value store in the database, scoped to one owner (a user pseudonym) and
    one scope (e.g. a session id). Get one from :meth:`PrivacyStore.vault`.

    >>> import tempfile, os
    >>> from bastion.store import PrivacyStore, new_vault_key
    >>> from bastion.redact import Pseudonymize, redact_text, restore
    >>> from bastion.types import Finding
    >>> store = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "v.db"), audit_key=b"k" * 32, vault_key=new_vault_key())
    >>> v = store.vault("alice", session="s1")
    >>> t = redact_text("call Jane", [Finding("PERSON", 5, 9, 1.0, "x")], Pseudonymize(v))
    >>> t, restore(t, store.vault("alice", session="s1"))
    ('call <PERSON_1>', 'call Jane')
    """

    def __init__(
        self, engine: Engine, master_key: bytes, *, owner: str, scope: str, clock: Clock = utcnow
    ) -> None:
        super().__init__()
        if len(master_key) != 32:
            raise ConfigError("the vault key must be 32 bytes")
        self._engine = engine
        self._aead = AESGCM(derive(master_key, "vault-aes-gcm"))
        self._lookup_key = derive(master_key, "vault-lookup-hmac")
        self.owner = owner
        self.scope = scope
        self._clock = clock

    def _issued(self, conn: Connection, token: str) -> bool:
        query = select(vault_entries.c.token).where(*self._where(), vault_entries.c.token == token)
        return conn.execute(query.limit(1)).first() is not None

    def _where(self) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        return (vault_entries.c.owner == self.owner, vault_entries.c.scope == self.scope)

    def token_for(self, label: str, value: str, avoid: str | Collection[str] = "") -> str:
        """The scope's token for this value (the same value always gets the same token). A
        new token is never one that occurs in ``avoid`` (the text being redacted, or the
        tokens in it) or that :meth:`reserve` named, so a placeholder the user wrote is not
        restored into a value; a value that already has a token keeps it."""
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise InputError(
                f"vault labels must match [A-Z][A-Z0-9_]* (restore() relies on it), got {label!r}"
            )
        value = check_str("value", value, MAX_VALUE_CHARS, optional=False)  # type: ignore[assignment]
        lookup = hmac_hex(self._lookup_key, self.owner, self.scope, label, value)
        query = select(vault_entries.c.token).where(vault_entries.c.lookup == lookup)
        with read_tx(self._engine) as conn:
            token = conn.execute(query).scalar()
        if token is not None:
            return token
        with write_tx(self._engine) as conn:
            self._lock_scope(conn)
            if self.owner and not self._owner_exists(conn):
                raise UserErasedError("this vault's user has been erased; get a new vault from the store")
            token = conn.execute(query).scalar()
            if token is not None:
                return token
            n = conn.execute(
                select(func.count())
                .select_from(vault_entries)
                .where(*self._where(), vault_entries.c.label == label)
            ).scalar_one()
            # after an expiry the numbers go on from the old session's highest, so a stale
            # token still in a conversation never names a new value
            n += self._floors_on(conn).get(label, 0)
            token = f"<{label}_{n + 1}>"
            # numbers skipped for the text or the reservations leave gaps: the count is then
            # only where the search starts, and a number already issued is skipped too
            while token in avoid or token in self._reserved or self._issued(conn, token):
                n += 1
                token = f"<{label}_{n + 1}>"
            nonce, ciphertext = self._encrypt(self.owner, self.scope, label, token, value.encode("utf-8"))
            conn.execute(
                insert(vault_entries).values(
                    owner=self.owner,
                    scope=self.scope,
                    label=label,
                    token=token,
                    lookup=lookup,
                    nonce=nonce,
                    ciphertext=ciphertext,
                    created=self._clock(),
                )
            )
        return token

    def _lock_scope(self, conn: Connection) -> None:
        if is_postgres(conn):
            # Token numbers are per scope and label; SQLite's BEGIN IMMEDIATE already
            # serialises this, PostgreSQL needs a lock to avoid handing out one number twice.
            key = zlib.crc32(f"{self.owner}\x00{self.scope}".encode()) - 2**31
            conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": VAULT_LOCK_CLASS, "b": key})

    def _owner_exists(self, conn: Connection) -> bool:
        # FOR SHARE (PostgreSQL): an erasure deleting this pseudonym either waits for this
        # insert to commit (and then removes it too) or has committed and is seen here, so
        # no entry can be written for a user after their erasure. SQLite serialises writers.
        found = conn.execute(
            select(pseudonyms.c.pseudonym)
            .where(pseudonyms.c.pseudonym == self.owner)
            .with_for_update(read=True)
        ).first()
        return found is not None

    def value_for(self, token: str) -> str | None:
        """The original value for a token of this scope, or None if unknown here."""
        if not isinstance(token, str) or len(token) > 160:
            return None
        c = vault_entries.c
        with read_tx(self._engine) as conn:
            row = conn.execute(
                select(c.label, c.nonce, c.ciphertext).where(*self._where(), c.token == token)
            ).first()
        return None if row is None else self._decrypt(row.label, token, row.nonce, row.ciphertext)

    def values_for(self, tokens: Iterable[str]) -> dict[str, str]:
        """token → value for those of ``tokens`` this scope holds, in a few queries (what
        :func:`bastion.redact.restore` uses instead of one :meth:`value_for` per token)."""
        wanted = sorted({t for t in tokens if isinstance(t, str) and len(t) <= 160})
        c = vault_entries.c
        out: dict[str, str] = {}
        with read_tx(self._engine) as conn:
            for i in range(0, len(wanted), _LOOKUP_BATCH):
                rows = conn.execute(
                    select(c.label, c.token, c.nonce, c.ciphertext).where(
                        *self._where(), c.token.in_(wanted[i : i + _LOOKUP_BATCH])
                    )
                ).all()
                for r in rows:
                    out[r.token] = self._decrypt(r.label, r.token, r.nonce, r.ciphertext)
        return out

    def _decrypt(
        self,
        label: str,
        token: str,
        nonce: bytes,
        ciphertext: bytes,
        *,
        owner: str | None = None,
        scope: str | None = None,
    ) -> str:
        aad = frame(
            self.owner if owner is None else owner, self.scope if scope is None else scope, label, token
        )
        try:
            return self._aead.decrypt(bytes(nonce), bytes(ciphertext), aad).decode("utf-8")
        except InvalidTag:
            raise VaultKeyError(
                f"vault entry {token} cannot be decrypted: wrong vault key, or the row was altered"
            ) from None

    def _encrypt(self, owner: str, scope: str, label: str, token: str, value: bytes) -> tuple[bytes, bytes]:
        nonce = os.urandom(12)
        return nonce, self._aead.encrypt(nonce, value, frame(owner, scope, label, token))

    def for_scope(self, owner: str, scope: str) -> PersistentVault:
        """A vault of another owner (a pseudonym, or "" for none) and scope on the same
        database and keys; creates nothing."""
        other = object.__new__(type(self))
        Vault.__init__(other)
        other._engine, other._aead, other._lookup_key = self._engine, self._aead, self._lookup_key
        other.owner, other.scope, other._clock = owner, scope, self._clock
        return other

    # key check -------------------------------------------------------------------------------

    def check_key(self) -> None:
        """Raise :class:`VaultKeyError` unless this vault's key is the one the database's
        vault is written with. The first call on a database stores the key-check row; on
        a database that already holds entries (from before the check existed) it is stored
        only if the newest entry decrypts, so a wrong key is not written down as the right
        one. Two processes racing on a new database: one row wins, the other is checked
        against it."""
        if self._read_key_check():
            return
        c = vault_entries.c
        with write_tx(self._engine) as conn:
            newest = conn.execute(
                select(c.owner, c.scope, c.label, c.token, c.nonce, c.ciphertext)
                .where(c.lookup != KEY_CHECK_LOOKUP)
                .order_by(c.id.desc())
                .limit(1)
            ).first()
            if newest is not None:
                try:
                    self._decrypt(
                        newest.label,
                        newest.token,
                        newest.nonce,
                        newest.ciphertext,
                        owner=newest.owner,
                        scope=newest.scope,
                    )
                except VaultKeyError:
                    raise VaultKeyError(
                        _WRONG_KEY + " (the newest stored entry does not decrypt with it)"
                    ) from None
            nonce, ciphertext = self._encrypt(
                "", KEY_CHECK_SCOPE, KEY_CHECK_LABEL, KEY_CHECK_TOKEN, _KEY_CHECK_VALUE
            )
            ins = (pg_insert if is_postgres(conn) else sqlite_insert)(vault_entries)
            conn.execute(
                ins.values(
                    owner="",
                    scope=KEY_CHECK_SCOPE,
                    label=KEY_CHECK_LABEL,
                    token=KEY_CHECK_TOKEN,
                    lookup=KEY_CHECK_LOOKUP,
                    nonce=nonce,
                    ciphertext=ciphertext,
                    created=self._clock(),
                ).on_conflict_do_nothing()
            )
        if not self._read_key_check():  # pragma: no cover - the row was deleted at once
            raise VaultKeyError("the vault key-check row could not be stored")

    def _read_key_check(self) -> bool:
        """True when the key-check row decrypts to its constant, False when there is none
        yet; :class:`VaultKeyError` when it is there and does not."""
        c = vault_entries.c
        with read_tx(self._engine) as conn:
            row = conn.execute(select(c.nonce, c.ciphertext).where(c.lookup == KEY_CHECK_LOOKUP)).first()
        if row is None:
            return False
        try:
            plain = self._aead.decrypt(
                bytes(row.nonce),
                bytes(row.ciphertext),
                frame("", KEY_CHECK_SCOPE, KEY_CHECK_LABEL, KEY_CHECK_TOKEN),
            )
        except InvalidTag:
            plain = None
        if plain != _KEY_CHECK_VALUE:
            raise VaultKeyError(_WRONG_KEY)
        return True

    # expiry with numbering floors -------------------------------------------------------

    def _floors_lookup(self) -> str:
        return hmac_hex(self._lookup_key, "numbering-floors", self.owner, self.scope)

    def _floors_on(self, conn: Connection) -> dict[str, int]:
        """label → the highest number an expired session of this scope issued."""
        c = vault_entries.c
        lookup = self._floors_lookup()
        row = conn.execute(select(c.nonce, c.ciphertext).where(c.lookup == lookup)).first()
        if row is None:
            return {}
        raw = self._decrypt(
            FLOORS_LABEL,
            FLOORS_TOKEN,
            row.nonce,
            row.ciphertext,
            owner="",
            scope=FLOORS_SCOPE_PREFIX + lookup,
        )
        return {str(k): int(v) for k, v in json.loads(raw).items()}

    def expire(self, *, started_before: datetime | None = None, checkpoint_wal: bool = True) -> int:
        """Delete this scope's entries (as :meth:`erase`) but remember, per label, the
        highest token number they had, so a value stored in the scope later gets a new
        number: a stale ``<PERSON_1>`` then stays unknown instead of restoring to another
        person. The floors are one row with no values in it, under owner "" and an HMAC of
        (owner, scope); :meth:`purge_floors` removes old ones. Returns the entries deleted.

        ``started_before``: only if the scope's oldest entry is that old, decided under the
        scope's lock, so two callers that both saw a session expired do not delete the fresh
        session the first one started.

        ``checkpoint_wal``: afterwards truncate SQLite's -wal file, which otherwise keeps the
        deleted ciphertexts (with everything needed to decrypt them but the vault key)
        until later writes overwrite them. A sweep over many sessions passes False and
        calls :func:`bastion.store.db.checkpoint` once at the end."""
        n = self._expire(started_before)
        if n and checkpoint_wal:
            checkpoint(self._engine, wait_s=EXPIRE_CHECKPOINT_WAIT_S)
        return n

    def _expire(self, started_before: datetime | None) -> int:
        c = vault_entries.c
        lookup = self._floors_lookup()
        with write_tx(self._engine) as conn:
            self._lock_scope(conn)
            rows = conn.execute(select(c.label, c.token, c.created).where(*self._where())).all()
            if not rows:
                return 0
            if started_before is not None and min(r.created for r in rows) > started_before:
                return 0
            floors = self._floors_on(conn)
            for r in rows:
                m = _NUMBER.search(r.token)
                if m is not None:
                    floors[r.label] = max(floors.get(r.label, 0), int(m.group(1)))
            n = conn.execute(delete(vault_entries).where(*self._where())).rowcount
            conn.execute(delete(vault_entries).where(c.lookup == lookup))
            scope = FLOORS_SCOPE_PREFIX + lookup
            value = json.dumps(floors, sort_keys=True).encode()
            nonce, ciphertext = self._encrypt("", scope, FLOORS_LABEL, FLOORS_TOKEN, value)
            conn.execute(
                insert(vault_entries).values(
                    owner="",
                    scope=scope,
                    label=FLOORS_LABEL,
                    token=FLOORS_TOKEN,
                    lookup=lookup,
                    nonce=nonce,
                    ciphertext=ciphertext,
                    created=self._clock(),
                )
            )
        return int(n)

    @staticmethod
    def purge_floors(engine: Engine, older_than: datetime) -> int:
        """Delete numbering floors last written before ``older_than``; returns how many."""
        c = vault_entries.c
        with write_tx(engine) as conn:
            return int(
                conn.execute(
                    delete(vault_entries).where(
                        c.token == FLOORS_TOKEN,
                        c.scope.startswith(FLOORS_SCOPE_PREFIX, autoescape=True),
                        c.created < older_than,
                    )
                ).rowcount
            )

    def items(self) -> list[tuple[str, str]]:
        """(token, value) pairs of this scope, oldest first (decrypts every entry)."""
        c = vault_entries.c
        with read_tx(self._engine) as conn:
            rows = conn.execute(
                select(c.label, c.token, c.nonce, c.ciphertext).where(*self._where()).order_by(c.id)
            ).all()
        return [(r.token, self._decrypt(r.label, r.token, r.nonce, r.ciphertext)) for r in rows]

    def __len__(self) -> int:
        with read_tx(self._engine) as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(vault_entries).where(*self._where())
                ).scalar_one()
            )

    def erase(self) -> int:
        """Delete every entry of this scope, and truncate SQLite's -wal file so the deleted
        ciphertexts do not stay there (as :meth:`PrivacyStore.erase`); returns how many."""
        with write_tx(self._engine) as conn:
            n = int(conn.execute(delete(vault_entries).where(*self._where())).rowcount)
        if n:
            checkpoint(self._engine)
        return n

    @staticmethod
    def delete_owner_on(conn: Connection, owner: str) -> int:
        return conn.execute(delete(vault_entries).where(vault_entries.c.owner == owner)).rowcount
