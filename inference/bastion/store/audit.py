"""The append-only, keyed (HMAC-SHA256) audit chain.

Every row stores the MAC of the row before it (``prev_hash``) and its own HMAC-SHA256
over a canonical serialisation of all its fields plus that previous MAC (``hash``; the
column names predate the keying). The key is derived from the audit HMAC key, which never
enters the database, so someone who can write to the database cannot recompute the chain
after editing, inserting, reordering or deleting rows. One ``audit_chain_head`` row,
MAC'd too, records where the chain starts and its newest row, which makes deleting the
newest rows or the whole table visible; its counters can only move forward (database
triggers), so rolling it back to an older state needs DDL rights, not just DML.

Retention is the only way rows leave the chain: a purge moves the head's start forward
and appends a MAC'd ``retention_purge`` receipt naming the last removed id and its MAC,
which :meth:`AuditLog.verify` requires for a chain that does not start at genesis.

Rows carry no raw text and no PII values: only a pseudonym, labels, counts, the action
and an HMAC of the text.

>>> import tempfile, os
>>> from bastion.store import PrivacyStore
>>> store = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "a.db"), audit_key=b"k" * 32)
>>> store.audit.append("login", severity="info").id
1
>>> store.audit.verify().ok
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from bastion.errors import BastionError, ConfigError, InputError
from bastion.home import NO_AUDIT_KEY
from bastion.store.db import read_tx, write_tx
from bastion.store.keys import derive
from bastion.store.schema import UTC, audit_chain_head, audit_events

GENESIS = "0" * 64
HASH_VERSION = "bastion-audit-v1"  # unkeyed SHA-256 rows written before schema 0003
MAC_VERSION = "bastion-audit-v2"
HEAD_VERSION = "bastion-audit-head-v2"
SEVERITIES = ("info", "low", "medium", "high", "critical")
PURGE_EVENT = "retention_purge"
SEAL_EVENT = "audit_chain_sealed"
# Only the store writes these: they justify where the chain starts, so an application bug
# must not be able to log one.
RESERVED_EVENT_TYPES = frozenset({PURGE_EVENT, SEAL_EVENT})

Clock = Callable[[], datetime]
KeySource = bytes | Callable[[], bytes] | None


class AuditIntegrityError(BastionError):
    """The stored chain is not what the key holder wrote (tampering, or the wrong key):
    raised by writes that would otherwise extend or re-anchor it, so a purge or an
    append never launders a break. :meth:`AuditLog.verify` reports the details."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append; the store fills in id, timestamp and hashes.

    ``details`` is for small non-personal metadata (counts, scores, versions): it is
    hashed and exported like every other field, so never put text or PII values in it.
    """

    event_type: str
    severity: str = "info"
    user_pseudonym: str | None = None
    labels: Iterable[str] = ()
    action: str | None = None
    text_hmac: str | None = None
    request_id: str | None = None
    key_id: str | None = None
    details: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One stored audit row."""

    id: int
    ts: datetime
    user_pseudonym: str | None
    event_type: str
    severity: str
    labels: tuple[str, ...]
    action: str | None
    text_hmac: str | None
    request_id: str | None
    key_id: str | None
    details: Mapping[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (the export format, one per JSONL line)."""
        return {
            "id": self.id,
            "ts": _ts_text(self.ts),
            "user_pseudonym": self.user_pseudonym,
            "event_type": self.event_type,
            "severity": self.severity,
            "labels": list(self.labels),
            "action": self.action,
            "text_hmac": self.text_hmac,
            "request_id": self.request_id,
            "key_id": self.key_id,
            "details": _thaw(self.details),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of :meth:`AuditLog.verify`. ``first_bad_id``/``reason`` name the first
    problem (``first_bad_id`` is None when it is the head record itself); ``head_hash`` is
    the newest row's MAC and ``anchored_at`` the first id after a retention purge."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    head_id: int | None = None
    head_hash: str = GENESIS
    anchored_at: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_id": self.first_bad_id,
            "reason": self.reason,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "anchored_at": self.anchored_at,
        }


@dataclass(frozen=True, slots=True)
class PurgeReceipt:
    """What a retention purge removed and where the chain now starts: ``anchor_hash`` is
    the MAC of the last removed row (the first remaining row links to it), ``event_id``
    the MAC'd ``retention_purge`` receipt that vouches for the new start."""

    cutoff: datetime
    deleted: int
    first_remaining_id: int | None
    anchor_hash: str | None
    event_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutoff": _ts_text(self.cutoff),
            "deleted": self.deleted,
            "first_remaining_id": self.first_remaining_id,
            "anchor_hash": self.anchor_hash,
            "event_id": self.event_id,
        }


@dataclass(frozen=True, slots=True)
class SecurityStats:
    """Event counts in ``[since, until)``."""

    since: datetime
    until: datetime
    total: int
    by_event_type: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    by_severity: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    by_type_and_severity: Mapping[tuple[str, str], int] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": _ts_text(self.since),
            "until": _ts_text(self.until),
            "total": self.total,
            "by_event_type": dict(self.by_event_type),
            "by_severity": dict(self.by_severity),
            "by_type_and_severity": [
                {"event_type": t, "severity": s, "count": n}
                for (t, s), n in sorted(self.by_type_and_severity.items())
            ],
        }


# --- canonical form -------------------------------------------------------------------


def _ts_text(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def _json(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=sort_keys, allow_nan=False)


def _row_payload(version: str, fields: tuple[Any, ...]) -> bytes:
    # fields: id, ts, user_pseudonym, event_type, severity, labels_json, action, text_hmac,
    # request_id, key_id, details_json, prev_hash. The JSON columns are covered as stored,
    # so re-encoding can never shift a MAC.
    (rid, ts, *rest) = fields
    return _json([version, rid, _ts_text(ts), *rest]).encode("ascii")


def row_hash(
    id: int,
    ts: datetime,
    user_pseudonym: str | None,
    event_type: str,
    severity: str,
    labels_json: str,
    action: str | None,
    text_hmac: str | None,
    request_id: str | None,
    key_id: str | None,
    details_json: str,
    prev_hash: str,
) -> str:
    """Legacy (schema 0001/0002) unkeyed SHA-256 of one row. Only rows up to the head's
    ``legacy_through`` are checked with it, and those are pinned by the MAC of the first
    keyed row after them."""
    fields = (id, ts, user_pseudonym, event_type, severity, labels_json, action, text_hmac)
    payload = _row_payload(HASH_VERSION, (*fields, request_id, key_id, details_json, prev_hash))
    return hashlib.sha256(payload).hexdigest()


def row_mac(key: bytes, *fields: Any) -> str:
    """HMAC-SHA256 with the chain key over a row's canonical fields (in :func:`row_hash`
    order, ``prev_hash`` last)."""
    if len(fields) != 12:
        raise TypeError("row_mac takes the 12 row fields, prev_hash last")
    return hmac.new(key, _row_payload(MAC_VERSION, fields), hashlib.sha256).hexdigest()


def chain_key(audit_key: bytes) -> bytes:
    """The chain MAC key, derived from the audit HMAC key (independent of the key that
    fingerprints texts, so one MAC can never stand in for the other)."""
    return derive(audit_key, "audit-chain")


def key_id_of(key: bytes) -> str:
    """Public id of a chain key, stored in the head so a wrong key reads as a wrong key
    rather than as tampering."""
    return hmac.new(key, b"bastion-audit-key-id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The ``audit_chain_head`` row: rows ``start_id..last_id`` form the chain, the first
    links to ``start_prev``; rows up to ``legacy_through`` carry unkeyed v1 hashes."""

    start_id: int
    start_prev: str
    last_id: int
    last_mac: str
    legacy_through: int
    key_id: str | None
    mac: str | None

    def expected_mac(self, key: bytes) -> str:
        payload = _json(
            [
                HEAD_VERSION,
                self.start_id,
                self.start_prev,
                self.last_id,
                self.last_mac,
                self.legacy_through,
                self.key_id,
            ]
        )
        return hmac.new(key, payload.encode("ascii"), hashlib.sha256).hexdigest()

    @property
    def sealed(self) -> bool:
        return self.mac is not None


def read_head(conn: Connection) -> ChainHead | None:
    row = conn.execute(
        select(
            audit_chain_head.c.start_id,
            audit_chain_head.c.start_prev,
            audit_chain_head.c.last_id,
            audit_chain_head.c.last_mac,
            audit_chain_head.c.legacy_through,
            audit_chain_head.c.key_id,
            audit_chain_head.c.mac,
        ).where(audit_chain_head.c.id == 1)
    ).first()
    if row is None:
        return None
    try:
        return ChainHead(int(row[0]), str(row[1]), int(row[2]), str(row[3]), int(row[4]), row[5], row[6])
    except (TypeError, ValueError, OverflowError):
        raise AuditIntegrityError("the audit chain head record is malformed (edited)") from None


def _write_head(conn: Connection, head: ChainHead) -> None:
    values = {
        "start_id": head.start_id,
        "start_prev": head.start_prev,
        "last_id": head.last_id,
        "last_mac": head.last_mac,
        "key_id": head.key_id,
        "mac": head.mac,
    }
    conn.execute(update(audit_chain_head).where(audit_chain_head.c.id == 1).values(**values))


def check_str(name: str, value: Any, max_len: int, *, optional: bool = True) -> str | None:
    if value is None:
        if optional:
            return None
        raise InputError(f"{name} is required")
    if not isinstance(value, str):
        raise InputError(f"{name} must be a string, got {type(value).__name__}")
    if not value or len(value) > max_len:
        raise InputError(f"{name} must be 1..{max_len} characters")
    if "\x00" in value:
        raise InputError(f"{name} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{name} contains an unpaired surrogate") from None
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _prepare(ev: NewEvent, *, internal: bool = False) -> dict[str, Any]:
    if not internal and ev.event_type in RESERVED_EVENT_TYPES:
        raise InputError(f"event type {ev.event_type!r} is reserved for the store itself")
    if ev.severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}, got {ev.severity!r}")
    if isinstance(ev.labels, str):
        raise InputError("labels must be a list of label names, not a string")
    labels = sorted({check_str("label", lab, 64, optional=False) for lab in ev.labels})  # type: ignore[misc]
    try:
        details_json = _json(dict(ev.details or {}), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"details must be JSON-serialisable without NaN/inf: {exc}") from None
    return {
        "user_pseudonym": check_str("user_pseudonym", ev.user_pseudonym, 64),
        "event_type": check_str("event_type", ev.event_type, 64, optional=False),
        "severity": ev.severity,
        "labels": _json(labels),
        "action": check_str("action", ev.action, 16),
        "text_hmac": check_str("text_hmac", ev.text_hmac, 64),
        "request_id": check_str("request_id", ev.request_id, 128),
        "key_id": check_str("key_id", ev.key_id, 128),
        "details": details_json,
    }


def _to_event(row: Any) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        ts=row.ts,
        user_pseudonym=row.user_pseudonym,
        event_type=row.event_type,
        severity=row.severity,
        labels=tuple(json.loads(row.labels)),
        action=row.action,
        text_hmac=row.text_hmac,
        request_id=row.request_id,
        key_id=row.key_id,
        details=_freeze(json.loads(row.details)),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


# --- the log --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scan:
    """Result of walking stored rows against a head."""

    bad_id: int | None
    reason: str | None
    checked: int
    last_id: int | None
    last_mac: str | None
    # (start_id, start_prev) pairs that MAC-verified receipts / seal events vouch for
    vouched: frozenset[tuple[int, str]]
    sealed_legacy_through: int | None


_COLS = (
    audit_events.c.id,
    audit_events.c.ts,
    audit_events.c.user_pseudonym,
    audit_events.c.event_type,
    audit_events.c.severity,
    audit_events.c.labels,
    audit_events.c.action,
    audit_events.c.text_hmac,
    audit_events.c.request_id,
    audit_events.c.key_id,
    audit_events.c.details,
    audit_events.c.prev_hash,
    audit_events.c.hash,
)


def _scan(
    conn: Connection, head: ChainHead, key: bytes | None, *, upto: int | None = None, batch: int = 5000
) -> _Scan:
    """Walk rows in id order: every row's MAC (or legacy hash), the id sequence from the
    head's start, and each link. Collects what receipts vouch for; stops at the first break."""
    query = select(*_COLS).order_by(audit_events.c.id)
    if upto is not None:
        query = query.where(audit_events.c.id <= upto)
    vouched: set[tuple[int, str]] = set()
    sealed_through: int | None = None
    checked = 0
    expected_id, expected_prev = head.start_id, head.start_prev
    # Options on the statement, not the connection: purge keeps writing on this connection.
    result = conn.execute(query.execution_options(stream_results=True, yield_per=batch))
    rows = iter(result)
    while True:
        rid = expected_id
        try:
            row = next(rows, None)
            if row is None:
                break
            rid, event_type, prev, stored = int(row[0]), row[3], row[11], row[12]
            reason = _row_problem(row, rid, head, key)
        except (ValueError, TypeError, OverflowError, AttributeError) as exc:
            # SQLite keeps whatever type was written: a garbled row must read as tampering,
            # not crash verify
            reason = f"row has malformed fields ({type(exc).__name__}: row edited)"
        if reason is None and rid != expected_id:
            if checked == 0:
                reason = (
                    f"the chain should start at id {expected_id} but starts at {rid} "
                    "(oldest rows deleted, or rows inserted before the start)"
                )
            else:
                reason = f"expected id {expected_id}, found {rid} (rows deleted or inserted)"
        if reason is None and prev != expected_prev:
            what = "the previous row" if checked else "the chain start in the head record"
            reason = f"prev_hash does not match the MAC of {what}"
        if reason is not None:
            result.close()
            return _Scan(rid, reason, checked, None, None, frozenset(vouched), sealed_through)
        if rid > head.legacy_through and event_type in RESERVED_EVENT_TYPES:
            details = json.loads(row[10])
            if event_type == PURGE_EVENT:
                vouched.add((int(details["through_id"]) + 1, str(details["last_mac"])))
            else:
                vouched.add((int(details["legacy_first_id"]), str(details["legacy_start_prev"])))
                sealed_through = int(details["legacy_through"])
        checked += 1
        expected_id, expected_prev = rid + 1, stored
    last = expected_id - 1 if checked else None
    return _Scan(
        None, None, checked, last, expected_prev if checked else None, frozenset(vouched), sealed_through
    )


def _same(expected: str, stored: Any) -> bool:
    """Constant-time comparison that also survives non-ASCII or non-string stored values."""
    return isinstance(stored, str) and hmac.compare_digest(
        expected.encode("ascii"), stored.encode("utf-8", "surrogatepass")
    )


def _row_problem(row: Any, rid: int, head: ChainHead, key: bytes | None) -> str | None:
    if rid <= head.legacy_through:
        if not _same(row_hash(*row[:12]), row[12]):
            return "row contents do not match its legacy hash (row edited)"
    elif key is None or not _same(row_mac(key, *row[:12]), row[12]):
        return "row contents do not match its MAC (row edited, or written without the key)"
    return None


class AuditLog:
    """Append, verify, query and purge the audit chain.

    ``key`` is the audit HMAC key (bytes, or a callable returning it, called on first
    use); the chain MAC key is derived from it. Appends, :meth:`verify`, :meth:`purge`
    and :meth:`seal` need it; reading events, counts and stats do not.

    Appends are serialised per database (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
    ``pg_advisory_xact_lock``), so concurrent writers in any number of threads or
    processes extend one chain.
    """

    def __init__(self, engine: Engine, clock: Clock = utcnow, *, key: KeySource = None) -> None:
        self._engine = engine
        self._clock = clock
        self._key_source = key
        self._key: bytes | None = None

    def _chain_key(self) -> bytes:
        if self._key is None:
            source = self._key_source
            raw = source() if callable(source) else source
            if raw is None:
                raise ConfigError(f"the audit chain needs the audit HMAC key ({NO_AUDIT_KEY}; or pass key=)")
            self._key = chain_key(bytes(raw))
        return self._key

    # appends

    def append(
        self,
        event_type: str,
        *,
        severity: str = "info",
        user_pseudonym: str | None = None,
        labels: Iterable[str] = (),
        action: str | None = None,
        text_hmac: str | None = None,
        request_id: str | None = None,
        key_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event and return the stored row."""
        ev = NewEvent(
            event_type, severity, user_pseudonym, labels, action, text_hmac, request_id, key_id, details
        )
        with write_tx(self._engine) as conn:
            return self.append_on(conn, [ev])[0]

    def append_many(self, events: Iterable[NewEvent]) -> list[AuditEvent]:
        """Append several events in one transaction (one lock round-trip)."""
        prepared = list(events)
        if not prepared:
            return []
        with write_tx(self._engine) as conn:
            return self.append_on(conn, prepared)

    def append_on(self, conn: Connection, events: list[NewEvent]) -> list[AuditEvent]:
        """Append inside a transaction opened with :func:`bastion.store.db.write_tx`
        (used by erasure and consent, which log in the same transaction).

        Raises :class:`AuditIntegrityError` when the head record was tampered with (a
        new row must never vouch for a forged head)."""
        rows = [_prepare(ev) for ev in events]  # validate everything before writing anything
        key = self._chain_key()
        head = self._writable_head(conn, key)
        return self._extend(conn, head, rows, key)[0]

    def seal(self) -> int | None:
        """Seal a chain written before keyed MACs (schema 0002): verify its unkeyed rows,
        then append a MAC'd ``audit_chain_sealed`` event that pins them. Any keyed write
        does this first anyway; returns the seal event's id, or None when there was
        nothing to seal."""
        key = self._chain_key()
        with write_tx(self._engine) as conn:
            before = read_head(conn)
            head = self._writable_head(conn, key)
            if before is not None and not before.sealed and head.last_id > before.last_id:
                return head.last_id
            return None

    def _writable_head(self, conn: Connection, key: bytes) -> ChainHead:
        head = read_head(conn)
        if head is None:
            raise AuditIntegrityError("the audit chain head record is missing: run `bastion audit verify`")
        if not head.sealed:
            return self._seal_on(conn, head, key)
        problem = _head_problem(head, key)
        if problem is not None:
            raise AuditIntegrityError(f"refusing to extend the audit chain: {problem}")
        return head

    def _seal_on(self, conn: Connection, head: ChainHead, key: bytes) -> ChainHead:
        kid = key_id_of(key)
        if (head.start_id, head.start_prev, head.last_id) == (1, GENESIS, 0):
            return replace(head, key_id=kid)  # a new chain: the first append MACs the head
        scan = _scan(conn, head, None)
        if scan.reason is None and (scan.last_id or head.start_id - 1, scan.last_mac or head.start_prev) != (
            head.last_id,
            head.last_mac,
        ):
            scan = replace(scan, reason="the newest rows do not match the head record")
        if scan.reason is not None:
            raise AuditIntegrityError(
                f"the unkeyed (schema 0002) audit chain does not verify, so it is not sealed: "
                f"{scan.reason} at id {scan.bad_id}"
            )
        details = {
            "legacy_first_id": head.start_id,
            "legacy_start_prev": head.start_prev,
            "legacy_through": head.legacy_through,
            "legacy_last_hash": head.last_mac,
            "checked": scan.checked,
        }
        ev = _prepare(NewEvent(SEAL_EVENT, details=details), internal=True)
        return self._extend(conn, replace(head, key_id=kid), [ev], key)[1]

    def _extend(
        self, conn: Connection, head: ChainHead, rows: list[dict[str, Any]], key: bytes
    ) -> tuple[list[AuditEvent], ChainHead]:
        last_id, prev = head.last_id, head.last_mac
        out: list[AuditEvent] = []
        values: list[dict[str, Any]] = []
        for fields in rows:
            last_id += 1
            ts = self._clock()
            if ts.tzinfo is None:
                raise InputError("the store clock must return timezone-aware datetimes")
            ts = ts.astimezone(UTC)
            mac = row_mac(
                key,
                last_id,
                ts,
                fields["user_pseudonym"],
                fields["event_type"],
                fields["severity"],
                fields["labels"],
                fields["action"],
                fields["text_hmac"],
                fields["request_id"],
                fields["key_id"],
                fields["details"],
                prev,
            )
            row = {"id": last_id, "ts": ts, **fields, "prev_hash": prev, "hash": mac}
            values.append(row)
            out.append(_to_event(_Row(row)))
            prev = mac
        if values:
            conn.execute(insert(audit_events), values)
        new = replace(head, last_id=last_id, last_mac=prev, key_id=key_id_of(key))
        new = replace(new, mac=new.expected_mac(key))
        _write_head(conn, new)
        return out, new

    # reading

    def head(self) -> tuple[int | None, str]:
        """(id, MAC) of the newest row, as the head record states it."""
        with read_tx(self._engine) as conn:
            head = read_head(conn)
        if head is None:
            return None, GENESIS
        return (head.last_id or None), head.last_mac

    def count(self) -> int:
        with read_tx(self._engine) as conn:
            return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())

    def events(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        user_pseudonym: str | None = None,
        batch: int = 1000,
    ) -> Iterator[AuditEvent]:
        """Events in id order, optionally within ``[since, until)`` and for one pseudonym."""
        query = select(audit_events).order_by(audit_events.c.id)
        if since is not None:
            query = query.where(audit_events.c.ts >= _aware(since, "since"))
        if until is not None:
            query = query.where(audit_events.c.ts < _aware(until, "until"))
        if user_pseudonym is not None:
            query = query.where(audit_events.c.user_pseudonym == user_pseudonym)
        with read_tx(self._engine) as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            for row in result:
                yield _to_event(row)

    def verify(self, *, known_head: tuple[int, str] | None = None, batch: int = 5000) -> VerifyReport:
        """Check the head record's MAC, every row's MAC and link, that the rows run from
        the head's start to its newest row, and that a MAC'd receipt vouches for a start
        other than genesis. ``first_bad_id``/``reason`` name the first problem.

        Needs the audit key: without it nobody can tell a recomputed chain from the real one.
        Catches edited, inserted, reordered and replayed rows, deleted rows anywhere
        (oldest, middle, newest, all), a forged head or receipt, and a wrong key. What a
        MAC cannot catch: an attacker with DDL rights (able to bypass the triggers) who
        saved an older copy of the head row, or who resets the store to its empty,
        never-written state, can roll the chain back to it. Pass ``known_head``, an
        ``(id, MAC)`` from :meth:`head` kept outside the database, to rule that out: the
        chain must still contain that row (or have purged it with a receipt).
        """
        key = self._chain_key()
        with read_tx(self._engine, snapshot=True) as conn:
            try:
                head = read_head(conn)
            except AuditIntegrityError as exc:
                return VerifyReport(False, 0, None, str(exc), None, "")
            if head is None:
                return VerifyReport(False, 0, None, "the audit chain head record is missing", None, "")
            anchored = head.start_id if (head.start_id, head.start_prev) != (1, GENESIS) else None

            def fail(bad_id: int | None, reason: str, checked: int = 0) -> VerifyReport:
                return VerifyReport(False, checked, bad_id, reason, None, "", anchored)

            if not head.sealed:
                if known_head is not None and known_head[0] > 0:
                    return fail(
                        known_head[0],
                        f"the chain no longer holds row {known_head[0]} as it was seen before "
                        "(reset to an unsealed state)",
                    )
                if (head.start_id, head.start_prev, head.last_id) == (1, GENESIS, 0):
                    n = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
                    if n == 0:
                        return VerifyReport(True, 0, None, None, None, GENESIS, None)
                scan = _scan(conn, head, None, batch=batch)
                if scan.reason is not None:
                    return fail(scan.bad_id, scan.reason, scan.checked)
                return fail(
                    None,
                    "the chain was written before keyed MACs (schema 0002) and is not sealed yet: "
                    "run `bastion audit seal` with the audit key",
                    scan.checked,
                )
            problem = _head_problem(head, key)
            if problem is not None:
                return fail(None, problem)
            scan = _scan(conn, head, key, batch=batch)
            known_ok = True
            if known_head is not None and scan.reason is None and known_head[0] >= head.start_id:
                known_ok = (
                    known_head[0] <= head.last_id
                    and conn.execute(
                        select(audit_events.c.hash).where(audit_events.c.id == known_head[0])
                    ).scalar()
                    == known_head[1]
                )
        if known_head is not None and not known_ok:
            return fail(
                known_head[0],
                f"the chain no longer holds row {known_head[0]} as it was seen before "
                "(rolled back to an older or empty state)",
                scan.checked,
            )
        if scan.reason is not None:
            return fail(scan.bad_id, scan.reason, scan.checked)
        if scan.last_id is None:
            if head.last_id != head.start_id - 1:
                return fail(
                    head.start_id,
                    f"the chain is empty but the head records rows up to id {head.last_id} "
                    "(rows deleted or the table truncated)",
                )
        elif (scan.last_id, scan.last_mac) != (head.last_id, head.last_mac):
            if scan.last_id < head.last_id:
                reason = f"the newest row is id {scan.last_id} but the head records id {head.last_id} (newest rows deleted)"
                return fail(scan.last_id + 1, reason, scan.checked)
            return fail(
                scan.last_id,
                "rows after the head record's newest row (written without the key)",
                scan.checked,
            )
        start = (head.start_id, head.start_prev)
        if anchored is not None and start not in scan.vouched:
            return fail(
                head.start_id,
                f"the chain starts at id {head.start_id} but no retention receipt or seal event "
                "vouches for that start (rows removed without a purge)",
                scan.checked,
            )
        if head.legacy_through >= head.start_id and scan.sealed_legacy_through != head.legacy_through:
            return fail(head.start_id, "unkeyed legacy rows without a matching seal event", scan.checked)
        return VerifyReport(True, scan.checked, None, None, head.last_id or None, head.last_mac, anchored)

    def stats(self, since: datetime, until: datetime | None = None) -> SecurityStats:
        """Counts by event type and severity for events in ``[since, until)``."""
        since = _aware(since, "since")
        until = _aware(until, "until") if until is not None else self._clock()
        c = audit_events.c
        query = (
            select(c.event_type, c.severity, func.count())
            .where(c.ts >= since, c.ts < until)
            .group_by(c.event_type, c.severity)
        )
        with read_tx(self._engine) as conn:
            rows = conn.execute(query).all()
        by_pair = {(t, s): int(n) for t, s, n in rows}
        by_type: dict[str, int] = {}
        by_sev: dict[str, int] = {}
        for (t, s), n in by_pair.items():
            by_type[t] = by_type.get(t, 0) + n
            by_sev[s] = by_sev.get(s, 0) + n
        return SecurityStats(
            since,
            until,
            sum(by_pair.values()),
            MappingProxyType(dict(sorted(by_type.items()))),
            MappingProxyType({s: by_sev[s] for s in SEVERITIES if s in by_sev}),
            MappingProxyType(dict(sorted(by_pair.items()))),
        )

    # retention

    def purge(self, older_than: timedelta, *, now: datetime | None = None) -> PurgeReceipt:
        """Delete the oldest stretch of events older than ``older_than``, move the head's
        start past it and append a MAC'd ``retention_purge`` receipt (the last removed id
        and its MAC), which :meth:`verify` requires for the new start.

        Only a prefix of the chain is ever removed: it stops at the first event that is
        still inside the retention window, even if a later one (clock skew) is older. The
        rows to remove are verified first (:class:`AuditIntegrityError` if they do not),
        so a purge never erases the evidence of tampering.
        """
        if not isinstance(older_than, timedelta) or older_than < timedelta(0):
            raise InputError("older_than must be a non-negative timedelta")
        now = _aware(now, "now") if now is not None else self._clock()
        cutoff = now - older_than
        key = self._chain_key()
        c = audit_events.c
        with write_tx(self._engine) as conn:
            head = self._writable_head(conn, key)
            first_kept = conn.execute(select(func.min(c.id)).where(c.ts >= cutoff)).scalar()
            last = first_kept - 1 if first_kept is not None else head.last_id
            # rows past the head were not written with the key: never purge them (verify reports them)
            last = min(last, head.last_id)
            if last < head.start_id:
                return PurgeReceipt(
                    cutoff, 0, head.start_id if head.last_id >= head.start_id else None, None, None
                )
            scan = _scan(conn, head, key, upto=min(last + 1, head.last_id))
            if scan.reason is not None:
                raise AuditIntegrityError(
                    f"refusing to purge a broken chain: {scan.reason} at id {scan.bad_id}"
                )
            if scan.last_id != min(last + 1, head.last_id) or (
                last == head.last_id and scan.last_mac != head.last_mac
            ):
                raise AuditIntegrityError("refusing to purge: the newest rows do not match the head record")
            boundary = conn.execute(select(c.hash).where(c.id == last)).scalar_one()
            moved = replace(head, start_id=last + 1, start_prev=boundary)
            _write_head(conn, moved)  # lets the DELETE trigger through; re-MAC'd by _extend below
            deleted = conn.execute(delete(audit_events).where(c.id <= last)).rowcount
            ev = NewEvent(
                PURGE_EVENT,
                "info",
                details={
                    "deleted": deleted,
                    "first_id": head.start_id,
                    "through_id": last,
                    "last_mac": boundary,
                    "cutoff": _ts_text(cutoff),
                },
            )
            logged = self._extend(conn, moved, [_prepare(ev, internal=True)], key)[0][0]
        return PurgeReceipt(cutoff, deleted, last + 1, boundary, logged.id)


def _head_problem(head: ChainHead, key: bytes) -> str | None:
    kid = key_id_of(key)
    if head.key_id != kid:
        return (
            f"the chain is MAC'd with another key (key id {head.key_id}, this key is {kid}): "
            "use the audit key the chain was written with"
        )
    if not _same(head.expected_mac(key), head.mac):
        return "the chain head record was altered (its MAC does not match)"
    return None


class _Row:
    """Attribute access over a dict, so freshly appended rows reuse ``_to_event``."""

    __slots__ = ("_d",)

    def __init__(self, d: dict[str, Any]) -> None:
        self._d = d

    def __getattr__(self, name: str) -> Any:
        return self._d[name]


def _aware(ts: Any, name: str) -> datetime:
    if not isinstance(ts, datetime):
        raise InputError(f"{name} must be a datetime")
    if ts.tzinfo is None:
        raise InputError(f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return ts.astimezone(UTC)
