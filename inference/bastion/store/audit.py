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

The canonical form, the MACs, the head record and verification are in
:mod:`bastion.store.audit_chain`; this module builds, writes, reads and purges events.

>>> import tempfile, os
>>> from bastion.store import PrivacyStore
>>> store = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "a.db"), audit_key=b"k" * 32)
>>> store.audit.append("login", severity="info").id
1
>>> store.audit.verify().ok
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Engine, String, delete, func, insert, select, type_coerce

from bastion.errors import ConfigError, InputError
from bastion.home import NO_AUDIT_KEY
from bastion.store.audit_chain import (
    GENESIS,
    HASH_VERSION,
    HEAD_VERSION,
    MAC_VERSION,
    PURGE_EVENT,
    RESERVED_EVENT_TYPES,
    SEAL_EVENT,
    AuditIntegrityError,
    ChainHead,
    VerifyReport,
    canonical_json,
    chain_key,
    head_problem,
    key_id_of,
    read_head,
    row_hash,
    row_mac,
    scan_chain,
    ts_text,
    verify_chain,
    write_head,
)
from bastion.store.db import read_tx, write_tx
from bastion.store.schema import UTC, audit_events

__all__ = [
    "GENESIS",
    "HASH_VERSION",
    "HEAD_VERSION",
    "MAC_VERSION",
    "PURGE_EVENT",
    "RESERVED_EVENT_TYPES",
    "SEAL_EVENT",
    "SEVERITIES",
    "AuditEvent",
    "AuditIntegrityError",
    "AuditLog",
    "AuditReader",
    "ChainHead",
    "Clock",
    "KeySource",
    "NewEvent",
    "PurgeReceipt",
    "SecurityStats",
    "VerifyReport",
    "chain_key",
    "check_str",
    "key_id_of",
    "read_head",
    "row_hash",
    "row_mac",
    "utcnow",
]

SEVERITIES = ("info", "low", "medium", "high", "critical")

Clock = Callable[[], datetime]
KeySource = bytes | Callable[[], bytes] | None
# consent.py formats its timestamps like the chain does
_ts_text = ts_text


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
            "ts": ts_text(self.ts),
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
class PurgeReceipt:
    """What a retention purge removed and where the chain now starts: ``anchor_hash`` is
    the MAC of the last removed row (the first remaining row links to it), ``event_id``
    the MAC'd ``retention_purge`` receipt that vouches for the new start. ``wal_cleared``
    is False when :meth:`PrivacyStore.purge` could not truncate SQLite's -wal file (a
    reader held an old snapshot), which may then still hold the deleted rows."""

    cutoff: datetime
    deleted: int
    first_remaining_id: int | None
    anchor_hash: str | None
    event_id: int | None
    # set by PrivacyStore.purge after the commit (the checkpoint cannot run inside it)
    wal_cleared: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutoff": ts_text(self.cutoff),
            "deleted": self.deleted,
            "first_remaining_id": self.first_remaining_id,
            "anchor_hash": self.anchor_hash,
            "event_id": self.event_id,
            "wal_cleared": self.wal_cleared,
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
            "since": ts_text(self.since),
            "until": ts_text(self.until),
            "total": self.total,
            "by_event_type": dict(self.by_event_type),
            "by_severity": dict(self.by_severity),
            "by_type_and_severity": [
                {"event_type": t, "severity": s, "count": n}
                for (t, s), n in sorted(self.by_type_and_severity.items())
            ],
        }


# --- events ---------------------------------------------------------------------------


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
        details_json = canonical_json(dict(ev.details or {}), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"details must be JSON-serialisable without NaN/inf: {exc}") from None
    return {
        "user_pseudonym": check_str("user_pseudonym", ev.user_pseudonym, 64),
        "event_type": check_str("event_type", ev.event_type, 64, optional=False),
        "severity": ev.severity,
        "labels": canonical_json(labels),
        "action": check_str("action", ev.action, 16),
        "text_hmac": check_str("text_hmac", ev.text_hmac, 64),
        "request_id": check_str("request_id", ev.request_id, 128),
        "key_id": check_str("key_id", ev.key_id, 128),
        "details": details_json,
    }


def _to_event(row: Any) -> AuditEvent:
    """The event a row holds; a row edited outside the library (not JSON, a text where a
    timestamp belongs, bytes) is an :class:`AuditIntegrityError` naming its id."""
    try:
        event = _row_event(row)
        # SQLite keeps whatever type was written: a BLOB severity or a text ts must not
        # reach an export as bytes, or crash it
        if not isinstance(event.id, int) or not isinstance(event.ts, datetime):
            raise TypeError("id or ts has the wrong type")
        for name in _TEXT_FIELDS:
            if not isinstance(getattr(event, name), str | None):
                raise TypeError(f"{name} is not text")
        if not all(isinstance(x, str) for x in event.labels):
            raise TypeError("labels are not strings")
        json.dumps(event.to_dict())
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise AuditIntegrityError(
            f"audit row {row.id} has malformed fields ({type(exc).__name__}: row edited); run bastion audit verify"
        ) from None
    return event


_TEXT_FIELDS = ("user_pseudonym", "event_type", "severity", "action", "text_hmac", "request_id", "key_id")
_TEXT_FIELDS += ("prev_hash", "hash")
# ts as stored, parsed here: SQLAlchemy's SQLite processor raises while iterating on a
# garbled value, which would end an export at that row instead of flagging it
_READ_COLS = [type_coerce(c, String).label("ts") if c.name == "ts" else c for c in audit_events.c]


def _read_ts(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # left as is: _to_event calls the row malformed
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def raw_row(row: Any) -> dict[str, Any]:
    """A row as stored, every value JSON-safe (bytes as ``{"hex": ...}``): what an export
    writes for a row :func:`_to_event` refuses, so a damaged trail can still be read."""

    def safe(v: Any) -> Any:
        if v is None or isinstance(v, bool | int | float | str):
            return v
        if isinstance(v, bytes | bytearray | memoryview):
            return {"hex": bytes(v).hex()}
        if isinstance(v, datetime):
            return ts_text(v) if v.tzinfo is not None else v.isoformat()
        return repr(v)

    return {k: safe(v) for k, v in row._d.items()}


def _row_event(row: Any) -> AuditEvent:
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


class AuditReader:
    """Reading the audit trail: events, counts, stats and the head record. None of it
    needs the audit key (:class:`AuditLog` adds the keyed operations)."""

    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def head(self) -> tuple[int | None, str]:
        """(id, MAC) of the newest row, as the head record states it."""
        with read_tx(self._engine) as conn:
            head = read_head(conn)
        if head is None:
            return None, GENESIS
        return (head.last_id or None), head.last_mac

    def unsealed_rows(self) -> int:
        """How many rows an unsealed head (a chain written before keyed MACs) holds; 0 for a
        sealed or a new, empty chain. Writes refuse such a chain until ``bastion audit seal``,
        so a server checks this when it starts rather than failing every audit write."""
        with read_tx(self._engine) as conn:
            head = read_head(conn)
        if head is None or head.sealed or _is_new_chain(head):
            return 0
        return max(1, head.last_id - head.start_id + 1)

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
        query = self._range(since, until)
        if user_pseudonym is not None:
            query = query.where(audit_events.c.user_pseudonym == user_pseudonym)
        for row in self._rows(query, batch):
            yield _to_event(row)

    def walk(
        self, since: datetime | None = None, until: datetime | None = None, *, batch: int = 1000
    ) -> Iterator[AuditEvent | AuditIntegrityError]:
        """:meth:`events`, except that a row edited outside the library comes as the
        :class:`AuditIntegrityError` naming it instead of ending the walk: a dashboard or
        a report over a damaged trail still counts every row it can read."""
        for row in self._rows(self._range(since, until), batch):
            try:
                yield _to_event(row)
            except AuditIntegrityError as exc:
                yield exc

    def export_records(
        self, since: datetime | None = None, until: datetime | None = None, *, batch: int = 1000
    ) -> Iterator[tuple[dict[str, Any], bool]]:
        """``(record, ok)`` per event in id order, for an export: the event's
        :meth:`AuditEvent.to_dict`, or for a row edited outside the library its raw stored
        values under ``"malformed_row"`` (with ``ok`` False) — an auditor needs the export
        of a damaged trail most, so one bad row must not end it."""
        for row in self._rows(self._range(since, until), batch):
            try:
                yield _to_event(row).to_dict(), True
            except AuditIntegrityError as exc:
                raw = raw_row(row)
                yield {"id": raw.get("id"), "malformed_row": raw, "error": str(exc)}, False

    def _range(self, since: datetime | None, until: datetime | None) -> Any:
        query = select(*_READ_COLS).order_by(audit_events.c.id)
        if since is not None:
            query = query.where(audit_events.c.ts >= _aware(since, "since"))
        if until is not None:
            query = query.where(audit_events.c.ts < _aware(until, "until"))
        return query

    def _rows(self, query: Any, batch: int) -> Iterator[Any]:
        with read_tx(self._engine) as conn:
            for row in conn.execution_options(stream_results=True, yield_per=batch).execute(query):
                d = dict(row._mapping)
                d["ts"] = _read_ts(d["ts"])
                yield _Row(d)

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
        # str(): a row edited to hold bytes must not make the counts unsortable
        by_pair: dict[tuple[str, str], int] = {}
        for t, s, n in rows:
            key = (t if isinstance(t, str) else repr(t), s if isinstance(s, str) else repr(s))
            by_pair[key] = by_pair.get(key, 0) + int(n)
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


class AuditLog(AuditReader):
    """Append, verify, query and purge the audit chain.

    ``key`` is the audit HMAC key (bytes, or a callable returning it, called on first
    use); the chain MAC key is derived from it. Appends, :meth:`verify`, :meth:`purge`
    and :meth:`seal` need it; reading events, counts and stats do not.

    Appends are serialised per database (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
    ``pg_advisory_xact_lock``), so concurrent writers in any number of threads or
    processes extend one chain.
    """

    def __init__(self, engine: Engine, clock: Clock = utcnow, *, key: KeySource = None) -> None:
        super().__init__(engine, clock)
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
        head = _writable_head(conn, key, self._clock)
        return _extend(conn, head, rows, key, self._clock)[0]

    def seal(self) -> int | None:
        """Seal a chain written before keyed MACs (schema 0002): verify its unkeyed rows,
        then append a MAC'd ``audit_chain_sealed`` event that pins them. Returns the seal
        event's id, or None when there was nothing to seal (see :meth:`seal_event`)."""
        event = self.seal_event()
        return None if event is None else event.id

    def seal_event(self) -> AuditEvent | None:
        """:meth:`seal`, returning the seal event itself: its ``details["checked"]`` is the
        number of unauthenticated legacy rows it vouches for.

        Only an operator's explicit call seals (appends and purges refuse an unsealed
        chain that has rows): the unkeyed hashes can be recomputed by anyone who can write
        the database, so sealing vouches for whatever the rows say now."""
        key = self._chain_key()
        with write_tx(self._engine) as conn:
            head = read_head(conn)
            if head is None:
                raise AuditIntegrityError(
                    "the audit chain head record is missing: run `bastion audit verify`"
                )
            if head.sealed or _is_new_chain(head):
                return None
            events, _ = _seal_on(conn, head, key, self._clock)
            return events[0]

    # integrity

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
            return verify_chain(conn, key, known_head=known_head, batch=batch)

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
        try:
            cutoff = now - older_than
        except OverflowError:  # before year 1: no event is that old
            cutoff = datetime.min.replace(tzinfo=now.tzinfo)
        key = self._chain_key()
        with write_tx(self._engine) as conn:
            return _purge_before(conn, cutoff, key, self._clock)


# --- writing the chain, inside a write transaction --------------------------------------


def _is_new_chain(head: ChainHead) -> bool:
    return (head.start_id, head.start_prev, head.last_id) == (1, GENESIS, 0)


def _writable_head(conn: Connection, key: bytes, clock: Clock) -> ChainHead:
    """The head to extend, verified against ``key``. An unsealed head is only taken as is
    for a new, empty chain: for one with rows, sealing would vouch for unkeyed hashes that
    anyone able to write the database can recompute (a keyed chain rewritten as "legacy"
    would be laundered by the next request), so that is left to ``bastion audit seal``."""
    head = read_head(conn)
    if head is None:
        raise AuditIntegrityError("the audit chain head record is missing: run `bastion audit verify`")
    if not head.sealed:
        if _is_new_chain(head):
            return replace(head, key_id=key_id_of(key))  # the first append MACs the head
        raise AuditIntegrityError(
            f"the audit chain is not sealed (legacy rows through id {head.legacy_through}, written before "
            "keyed MACs, schema 0002): writes are refused until an operator runs `bastion audit "
            "seal` with the audit key. If this store never ran a bastion older than schema 0003, do "
            "not seal: the head was rewritten to look unkeyed (check with `bastion audit verify "
            "--expect-head ID:MAC`)"
        )
    problem = head_problem(head, key)
    if problem is not None:
        raise AuditIntegrityError(f"refusing to extend the audit chain: {problem}")
    return head


def _seal_on(
    conn: Connection, head: ChainHead, key: bytes, clock: Clock
) -> tuple[list[AuditEvent], ChainHead]:
    """Verify an unsealed, non-empty chain's unkeyed rows and append the MAC'd seal event."""
    kid = key_id_of(key)
    scan = scan_chain(conn, head, None)
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
    return _extend(conn, replace(head, key_id=kid), [ev], key, clock)


def _extend(
    conn: Connection, head: ChainHead, rows: list[dict[str, Any]], key: bytes, clock: Clock
) -> tuple[list[AuditEvent], ChainHead]:
    """Insert prepared rows after ``head``, each MAC'd over the one before, and re-MAC the head."""
    last_id, prev = head.last_id, head.last_mac
    out: list[AuditEvent] = []
    values: list[dict[str, Any]] = []
    for fields in rows:
        last_id += 1
        ts = clock()
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
    write_head(conn, new)
    return out, new


def _purge_before(conn: Connection, cutoff: datetime, key: bytes, clock: Clock) -> PurgeReceipt:
    """:meth:`AuditLog.purge` inside its write transaction."""
    c = audit_events.c
    head = _writable_head(conn, key, clock)
    first_kept = conn.execute(select(func.min(c.id)).where(c.ts >= cutoff)).scalar()
    last = first_kept - 1 if first_kept is not None else head.last_id
    # rows past the head were not written with the key: never purge them (verify reports them)
    last = min(last, head.last_id)
    if last < head.start_id:
        return PurgeReceipt(cutoff, 0, head.start_id if head.last_id >= head.start_id else None, None, None)
    scan = scan_chain(conn, head, key, upto=min(last + 1, head.last_id))
    if scan.reason is not None:
        raise AuditIntegrityError(f"refusing to purge a broken chain: {scan.reason} at id {scan.bad_id}")
    if scan.last_id != min(last + 1, head.last_id) or (
        last == head.last_id and scan.last_mac != head.last_mac
    ):
        raise AuditIntegrityError("refusing to purge: the newest rows do not match the head record")
    boundary = conn.execute(select(c.hash).where(c.id == last)).scalar_one()
    moved = replace(head, start_id=last + 1, start_prev=boundary)
    write_head(conn, moved)  # lets the DELETE trigger through; re-MAC'd by _extend below
    deleted = conn.execute(delete(audit_events).where(c.id <= last)).rowcount
    ev = NewEvent(
        PURGE_EVENT,
        "info",
        details={
            "deleted": deleted,
            "first_id": head.start_id,
            "through_id": last,
            "last_mac": boundary,
            "cutoff": ts_text(cutoff),
        },
    )
    logged = _extend(conn, moved, [_prepare(ev, internal=True)], key, clock)[0][0]
    return PurgeReceipt(cutoff, deleted, last + 1, boundary, logged.id)


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
