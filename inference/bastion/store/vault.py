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
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Collection

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement, Connection, Engine, delete, func, insert, select, text

from bastion.errors import ConfigError, InputError
from bastion.redact import Vault
from bastion.store.audit import Clock, check_str, utcnow
from bastion.store.db import VAULT_LOCK_CLASS, is_postgres, read_tx, write_tx
from bastion.store.keys import derive, frame, hmac_hex
from bastion.store.schema import pseudonyms, vault_entries

# restore() only recognises <LABEL_n> with an upper-case label.
_LABEL = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
MAX_VALUE_CHARS = 65536


class UserErasedError(InputError):
    """The vault's user was erased after the vault was handed out (an erasure that ran while
    a request pseudonymised): nothing is stored for them. Get a new vault and retry; the
    API answers 409."""


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

    def _aad(self, label: str, token: str) -> bytes:
        return frame(self.owner, self.scope, label, token)

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
            if is_postgres(conn):
                # Token numbers are per scope and label; SQLite's BEGIN IMMEDIATE already
                # serialises this, PostgreSQL needs a lock to avoid handing out one number twice.
                key = zlib.crc32(f"{self.owner}\x00{self.scope}".encode()) - 2**31
                conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": VAULT_LOCK_CLASS, "b": key})
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
            token = f"<{label}_{n + 1}>"
            # numbers skipped for the text or the reservations leave gaps: the count is then
            # only where the search starts, and a number already issued is skipped too
            while token in avoid or token in self._reserved or self._issued(conn, token):
                n += 1
                token = f"<{label}_{n + 1}>"
            nonce = os.urandom(12)
            ciphertext = self._aead.encrypt(nonce, value.encode("utf-8"), self._aad(label, token))
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

    def _decrypt(self, label: str, token: str, nonce: bytes, ciphertext: bytes) -> str:
        try:
            return self._aead.decrypt(bytes(nonce), bytes(ciphertext), self._aad(label, token)).decode(
                "utf-8"
            )
        except InvalidTag:
            raise ConfigError(
                f"vault entry {token} cannot be decrypted: wrong vault key, or the row was altered"
            ) from None

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
        """Delete every entry of this scope; returns how many."""
        with write_tx(self._engine) as conn:
            return conn.execute(delete(vault_entries).where(*self._where())).rowcount

    @staticmethod
    def delete_owner_on(conn: Connection, owner: str) -> int:
        return conn.execute(delete(vault_entries).where(vault_entries.c.owner == owner)).rowcount
