"""``PrivacyStore``: one object bundling audit trail, pseudonyms, consent, vault,
retention and erasure over one database."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, and_, delete, exists
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from bastion.errors import ConfigError, InputError
from bastion.fingerprint import text_fingerprint
from bastion.guard import coerce_text
from bastion.results import audit_details, severity_of
from bastion.results import event_type as result_event_type
from bastion.store.audit import (
    AuditEvent,
    AuditLog,
    Clock,
    NewEvent,
    PurgeReceipt,
    SecurityStats,
    VerifyReport,
    check_str,
    utcnow,
)
from bastion.store.consent import ConsentRegistry
from bastion.store.db import (
    checkpoint,
    create_store_engine,
    default_url,
    parse_url,
    sqlite_path,
    vacuum_tables,
    write_tx,
)
from bastion.store.erasure import ERASED_TABLES, ErasureReceipt, erase_on
from bastion.store.keys import audit_hmac_key, parse_vault_key
from bastion.store.keys import vault_key as load_vault_key
from bastion.store.migrate import HEAD, current, upgrade
from bastion.store.pseudonyms import Pseudonyms, check_user_id
from bastion.store.schema import audit_events, consent_records, pseudonyms, vault_entries
from bastion.store.urls import safe_url
from bastion.store.vault import PersistentVault
from bastion.types import CheckResult

log = logging.getLogger("bastion.store")

__all__ = ["ErasureReceipt", "PrivacyStore", "severity_of"]


class PrivacyStore:
    """Audit trail, consent, vault, retention and erasure on SQLite or PostgreSQL.

    ``url`` defaults to ``$BASTION_DB_URL`` or ``$BASTION_HOME/bastion.db`` (the database the
    API keys live in too: :mod:`bastion.home`).

    Keys (loaded on first use, never stored in the database): the audit HMAC key from
    ``audit_key``/``audit_key_file``/``$BASTION_AUDIT_HMAC_KEY``/``$BASTION_AUDIT_HMAC_KEY_FILE``/
    ``$BASTION_HOME/audit.key`` (generated there on first use when ``create_audit_key``)
    keys the text fingerprints and, through a derived subkey, the audit chain's MACs, so
    every audit write and :meth:`verify` need it (reading events and stats do not);
    the vault key from ``vault_key``/``vault_key_file``/``$BASTION_VAULT_KEY``/``$BASTION_VAULT_KEY_FILE``.

    ``serving=True`` (a store behind the API or the proxy) adds PostgreSQL statement and
    lock timeouts, so a request never waits on the database forever (see
    :func:`bastion.store.db.create_store_engine`).

    >>> import tempfile, os
    >>> from bastion import Action, CheckResult
    >>> store = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "s.db"), audit_key=b"k" * 32)
    >>> r = CheckResult(Action.ALLOW, 0.01, False, (), "hi", False)
    >>> store.record_check(r, user_id="alice", text="hi").event_type
    'clean'
    >>> store.erase("alice").user_found, store.verify().ok
    (True, True)
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        migrate: bool = True,
        audit_key: bytes | str | None = None,
        audit_key_file: str | os.PathLike[str] | None = None,
        vault_key: bytes | str | None = None,
        vault_key_file: str | os.PathLike[str] | None = None,
        create_audit_key: bool = False,
        clock: Clock = utcnow,
        serving: bool = False,
    ) -> None:
        self.url = parse_url(url if url is not None else default_url())
        data_path = sqlite_path(self.url)
        self.engine = _open_engine(self.url, migrate, serving)
        self._clock = clock
        self._keys = _StoreKeys(
            (audit_key, audit_key_file), (vault_key, vault_key_file), create_audit_key, data_path
        )
        self.audit = AuditLog(self.engine, clock, key=self._keys.audit)
        self.pseudonyms = Pseudonyms(self.engine, clock)
        self.consent = ConsentRegistry(self.engine, self.audit, self.pseudonyms, clock)

    # lifecycle

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> PrivacyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def text_hmac(self, text: str | bytes) -> str:
        """Keyed HMAC-SHA256 of a text (``str`` or UTF-8 ``bytes``, as the Guard takes it):
        lets an auditor confirm "this exact text was checked" without the store ever
        holding the text."""
        return text_fingerprint(self._keys.audit(), coerce_text(text))

    # components

    def vault(self, user_id: str | None = None, *, session: str | None = None) -> PersistentVault:
        """The persistent vault of a user and/or session (at least one is required)."""
        if user_id is None and session is None:
            raise InputError("a vault needs a user_id, a session, or both")
        scope = ""
        if session is not None:
            scope = check_str("session", session, 255, optional=False) or ""
        owner = self.pseudonyms.get_or_create(user_id) if user_id is not None else ""
        return PersistentVault(self.engine, self._keys.vault(), owner=owner, scope=scope, clock=self._clock)

    # audit shortcuts

    def record_check(
        self,
        result: CheckResult,
        *,
        user_id: str | None,
        text: str | bytes,
        request_id: str | None = None,
        key_id: str | None = None,
        event_type: str | None = None,
        policy_overrides: Sequence[str] = (),
    ) -> AuditEvent:
        """Log a Guard result: labels and counts, action, severity, HMAC of the text.

        ``event_type`` defaults to ``injection`` / ``pii`` / ``clean``. ``policy_overrides``
        names the policy fields the request overrode (the API's ``policy``): they go into
        the chained row, so a request that weakened the policy is on the tamper-evident record.
        """
        if not isinstance(result, CheckResult):
            raise InputError(f"result must be a CheckResult, got {type(result).__name__}")
        text_mac = self.text_hmac(text)
        details = audit_details(result)
        if policy_overrides:
            details["policy_overrides"] = sorted({str(name) for name in policy_overrides})
        with write_tx(self.engine) as conn:
            pseudonym = (
                None if user_id is None else self.pseudonyms.get_or_create_on(conn, check_user_id(user_id))
            )
            ev = NewEvent(
                result_event_type(result) if event_type is None else event_type,
                severity_of(result),
                user_pseudonym=pseudonym,
                labels=details["counts"].keys(),
                action=result.action.value,
                text_hmac=text_mac,
                request_id=request_id,
                key_id=key_id,
                details=details,
            )
            return self.audit.append_on(conn, [ev])[0]

    def verify(self, *, known_head: tuple[int, str] | None = None) -> VerifyReport:
        """Check the audit chain (needs the audit key): see :meth:`AuditLog.verify`."""
        return self.audit.verify(known_head=known_head)

    def seal(self) -> int | None:
        """Seal a chain written before schema 0003 with the audit key: see :meth:`AuditLog.seal`."""
        return self.audit.seal()

    def stats(self, since: datetime, until: datetime | None = None) -> SecurityStats:
        return self.audit.stats(since, until)

    def purge(
        self, older_than: timedelta, *, now: datetime | None = None, vacuum: bool = False
    ) -> PurgeReceipt:
        """Retention: see :meth:`AuditLog.purge`. Then the user-id links that nothing refers
        to any more (no audit row, consent record or vault entry under the pseudonym) and that
        are older than the cutoff are deleted too: the raw user id (often an e-mail address)
        is personal data, and a link whose events retention removed serves no purpose.

        On PostgreSQL the deleted links stay readable in heap pages until VACUUM reuses
        them: ``vacuum=True`` rewrites ``privacy_pseudonyms`` as :meth:`erase` does (same
        lock, same need to own the table).
        """
        receipt = self.audit.purge(older_than, now=now)
        cutoff = receipt.cutoff
        p = pseudonyms.c.pseudonym
        unused = and_(
            pseudonyms.c.created < cutoff,
            ~exists().where(audit_events.c.user_pseudonym == p),
            ~exists().where(consent_records.c.user_pseudonym == p),
            ~exists().where(vault_entries.c.owner == p),
        )
        try:
            with write_tx(self.engine) as conn:
                conn.execute(delete(pseudonyms).where(unused))
        except DBAPIError as exc:
            # a least-privilege role that may only append, verify and purge the trail keeps
            # the links (the owner's next purge or an erase removes them); anything else is real
            if getattr(exc.orig, "sqlstate", None) != "42501":
                raise
            log.warning(
                "bastion: retention kept the user links: this role may not delete from privacy_pseudonyms"
            )
        # as erase(): the deleted rows' pages (raw user ids) must not linger in the -wal file
        cleared = checkpoint(self.engine)
        if vacuum:
            cleared = vacuum_tables(self.engine, (pseudonyms.name,), what="purge")
        return replace(receipt, wal_cleared=cleared)

    def erase(self, user_id: str, *, vacuum: bool = False) -> ErasureReceipt:
        """Right to erasure: remove the user's pseudonym link, consent records and vault
        entries in one transaction, and log an ``erasure`` event under the pseudonym.

        On PostgreSQL a DELETE only marks tuples dead: the user id stays readable in the
        table's heap pages (and in WAL) until VACUUM reuses them. ``vacuum=True`` then runs
        ``VACUUM (FULL, ANALYZE)`` on the three affected tables, which rewrites them (and
        their planner statistics) and takes an ACCESS EXCLUSIVE lock on each while it runs
        (run it off-peak, or batch erasures).
        On SQLite ``secure_delete`` already zeroes the freed cells and the WAL is
        checkpointed; the receipt's ``wal_cleared`` is False when a reader holding an old
        snapshot kept the -wal file (and the deleted rows in it) from being truncated.
        ``vacuum=True`` also runs ``VACUUM``.
        """
        user_id = check_user_id(user_id)
        with write_tx(self.engine) as conn:
            receipt = erase_on(conn, self.audit, user_id)
        cleared = checkpoint(self.engine)
        if vacuum:  # even for an unknown user: it may be the retry of an erase without vacuum
            cleared = vacuum_tables(self.engine, ERASED_TABLES)
        return replace(receipt, wal_cleared=cleared)


def _open_engine(url: URL, migrate: bool, serving: bool = False) -> Engine:
    """The store's engine, its schema upgraded to the newest (or, with ``migrate=False``,
    required to be there already)."""
    engine = create_store_engine(url, create=migrate, serving=serving)
    shown = safe_url(url)
    try:
        if migrate:
            upgrade(engine)
        else:
            rev = current(engine)
            if rev != HEAD:
                raise ConfigError(
                    f"no bastion store at schema {HEAD} in {shown} (found {rev}): "
                    "run `bastion audit init` (or `bastion audit migrate`) with this URL first"
                )
    except ConfigError:
        engine.dispose()
        raise
    except OperationalError as exc:
        engine.dispose()
        raise ConfigError(f"cannot use database {shown}: {exc.orig or exc}") from None
    return engine


class _StoreKeys:
    """The audit HMAC key and the vault master key, each loaded on first use so that
    verify/stats/purge work without the vault key and reading works without either."""

    def __init__(
        self,
        audit: tuple[bytes | str | None, str | os.PathLike[str] | None],
        vault: tuple[bytes | str | None, str | os.PathLike[str] | None],
        create_audit_key: bool,
        data_path: Path | None,
    ) -> None:
        self._audit_arg = audit
        self._vault_arg = vault
        self._create_audit_key = create_audit_key
        self._data_path = data_path
        self._audit: bytes | None = None
        self._vault: bytes | None = None

    def audit(self) -> bytes:
        if self._audit is None:
            key, key_file = self._audit_arg
            if key is not None:
                key = key.encode() if isinstance(key, str) else bytes(key)
                if len(key) < 16:
                    raise ConfigError("the audit HMAC key must be at least 16 bytes")
                self._audit = key
            else:
                self._audit = audit_hmac_key(
                    key_file, data_path=self._data_path, create=self._create_audit_key
                )
        return self._audit

    def vault(self) -> bytes:
        if self._vault is None:
            key, key_file = self._vault_arg
            if key is not None:
                self._vault = parse_vault_key(key)
            else:
                self._vault = load_vault_key(key_file, data_path=self._data_path)
        return self._vault
