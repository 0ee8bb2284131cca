"""API keys: creation, lookup, revocation, and the ``bastion keys`` command.

A key looks like ``bst_<id>_<secret>``. Only ``id`` (for lookup), a per-key random salt
and ``HMAC-SHA256(salt, secret)`` are stored; the secret is 256 random bits, so a fast
keyed hash is enough (no password-style stretching needed) and verification stays
cheap on every request.

Keys live in the store's database (table ``bastion_api_keys``, created by the store's
Alembic migration 0004), by default ``$BASTION_HOME/bastion.db`` or ``$BASTION_DB_URL``:
the same database as the audit trail (:mod:`bastion.home`).

>>> store = KeyStore("sqlite://")
>>> rec, key = store.create("ci")
>>> store.verify(key).status, store.verify(key + "x").status
('ok', 'unknown')
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from bastion.errors import BastionError, ConfigError

PREFIX = "bst"


@dataclass(frozen=True)
class KeyRecord:
    """A stored key's public metadata (never the secret)."""

    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
        }


@dataclass(frozen=True)
class Verification:
    """Outcome of checking a presented key: ``ok``, ``unknown`` (401) or ``revoked`` (403)."""

    status: Literal["ok", "unknown", "revoked"]
    key_id: str | None = None


def _digest(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """``bst_<id>_<secret>`` → ``(id, secret)``; ``None`` when malformed."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class KeyStore:
    """API keys in the store's database (SQLite or PostgreSQL), migrated to the current
    schema on open. A new SQLite file is created 0600; reads (``verify`` on every request)
    never take the write lock.

    >>> s = KeyStore("sqlite://"); rec, key = s.create("svc")
    >>> s.revoke(rec.id), s.verify(key).status
    (True, 'revoked')
    """

    def __init__(self, url: str, *, migrate: bool = True, serving: bool = False) -> None:
        from bastion.home import default_db_path, ensure_home
        from bastion.store.db import create_store_engine, sqlite_path
        from bastion.store.migrate import HEAD, current, upgrade
        from bastion.store.urls import safe_url

        safe = safe_url(url)
        path = sqlite_path(url)
        if path is not None and path.absolute() == default_db_path():
            ensure_home()  # the default location is created on first use, 0700
        # serving: the server's key lookups get statement timeouts (create_store_engine)
        self.engine = create_store_engine(url, create=migrate, serving=serving)
        try:
            if migrate:
                upgrade(self.engine)
            elif (rev := current(self.engine)) != HEAD:
                # a typo in --db must not issue a key into a fresh store the server never reads
                raise ConfigError(
                    f"no bastion store at schema {HEAD} in {safe} (found {rev}): "
                    "run `bastion audit init --db URL` with this URL first"
                )
        except BastionError:
            self.engine.dispose()
            raise
        except SQLAlchemyError as exc:
            self.engine.dispose()
            # the driver's message (not the URL, whose password it would show)
            raise ConfigError(
                f"cannot open key database {safe}: {getattr(exc, 'orig', None) or exc}"
            ) from None

    def create(self, name: str) -> tuple[KeyRecord, str]:
        """Create a key; returns its record and the plaintext key (shown once, never stored)."""
        name = name.strip()
        if not name:
            raise ConfigError("a key needs a non-empty name")
        if len(name) > 200:
            raise ConfigError("a key name must be at most 200 characters")
        if any(not c.isprintable() for c in name):
            # a newline or tab would forge rows in `bastion keys list`
            raise ConfigError("a key name must not contain control characters (newlines, tabs)")
        from bastion.store.db import write_tx
        from bastion.store.schema import api_keys

        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        now = datetime.now(timezone.utc)
        row = {
            "id": key_id,
            "name": name,
            "salt": salt.hex(),
            "digest": _digest(salt, secret),
            "created_at": now,
        }
        with write_tx(self.engine) as conn:
            conn.execute(insert(api_keys).values(**row))
        return KeyRecord(key_id, name, now, None), f"{PREFIX}_{key_id}_{secret}"

    def list(self) -> list[KeyRecord]:
        from bastion.store.db import read_tx
        from bastion.store.schema import api_keys

        c = api_keys.c
        with read_tx(self.engine) as conn:
            rows = conn.execute(
                select(c.id, c.name, c.created_at, c.revoked_at).order_by(c.created_at, c.id)
            ).all()
        return [KeyRecord(r.id, r.name, _utc(r.created_at), _utc(r.revoked_at)) for r in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; ``False`` when no such key exists."""
        from bastion.store.db import write_tx
        from bastion.store.schema import api_keys

        c = api_keys.c
        with write_tx(self.engine) as conn:
            if conn.execute(select(c.id).where(c.id == key_id)).first() is None:
                return False
            conn.execute(
                update(api_keys)
                .where(c.id == key_id, c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(timezone.utc))
            )
            return True

    def verify(self, key: str) -> Verification:
        from bastion.store.db import read_tx
        from bastion.store.schema import api_keys

        parts = split_key(key)
        if parts is None:
            return Verification("unknown")
        key_id, secret = parts
        c = api_keys.c
        with read_tx(self.engine) as conn:
            row = conn.execute(select(c.digest, c.salt, c.revoked_at).where(c.id == key_id)).first()
        if row is None:
            return Verification("unknown")
        expected, salt, revoked = row.digest, bytes.fromhex(row.salt), row.revoked_at is not None
        if not hmac.compare_digest(expected, _digest(salt, secret)):
            return Verification("unknown")
        return Verification("revoked" if revoked else "ok", key_id)

    def close(self) -> None:
        self.engine.dispose()


def _utc(dt: datetime | None) -> datetime | None:
    # the schema's UTCDateTime already returns aware values; kept for rows read elsewhere
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


# CLI ---------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from bastion.home import ensure_home, resolve_db_url

    loc = resolve_db_url(args.db)
    if loc.is_default:
        ensure_home()
    # like bastion audit: only the default store is created on first use
    store = KeyStore(loc.url, migrate=loc.is_default)
    try:
        if args.keys_command == "create":
            rec, key = store.create(args.name)
            print(key)
            print(
                f"created key {rec.id} ({rec.name}); store it now, it cannot be shown again", file=sys.stderr
            )
        elif args.keys_command == "list":
            recs = store.list()
            if args.json:
                print(json.dumps([r.to_dict() for r in recs], indent=2))
            else:
                for r in recs:
                    state = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
                    print(f"{r.id}\t{r.name}\t{r.created_at:%Y-%m-%d %H:%M}\t{state}")
        elif args.keys_command == "revoke":
            if not store.revoke(args.id):
                print(f"no key with id {args.id!r}", file=sys.stderr)
                return 1
            print(f"revoked {args.id}", file=sys.stderr)
        else:
            print("usage: bastion keys {create,list,revoke}", file=sys.stderr)
            return 2
    finally:
        store.close()
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``bastion keys create|list|revoke``."""
    db_help = "database URL (default: $BASTION_DB_URL or $BASTION_HOME/bastion.db)"
    p = subparsers.add_parser("keys", help="manage API keys for `bastion serve`")
    p.add_argument("--db", help=db_help)
    # --db also after the action (`bastion keys list --db URL`); SUPPRESS keeps the parent's value
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    c = sub.add_parser("create", parents=[common], help="create a key and print it once")
    c.add_argument("--name", required=True)
    ls = sub.add_parser("list", parents=[common], help="list keys (ids and names, never secrets)")
    ls.add_argument("--json", action="store_true")
    r = sub.add_parser("revoke", parents=[common], help="revoke a key by id")
    r.add_argument("id")
    p.set_defaults(func=_run)
