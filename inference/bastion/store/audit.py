"""The append-only, hash-chained audit trail.

Every row stores the hash of the row before it (``prev_hash``) and its own SHA-256 over a
canonical serialisation of all its fields, so editing, reordering or deleting a row in
the middle breaks the chain at that row. Rows carry no raw text and no PII values: only
a pseudonym, labels, counts, the action and an HMAC of the text.

>>> import tempfile, os
>>> from bastion.store import PrivacyStore
>>> store = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "a.db"))
>>> store.audit.append("login", severity="info").id
1
>>> store.audit.verify().ok
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from bastion.errors import InputError
from bastion.store.db import maintenance, read_tx, write_tx
from bastion.store.schema import UTC, audit_chain_anchor, audit_events

GENESIS = "0" * 64
HASH_VERSION = "bastion-audit-v1"
SEVERITIES = ("info", "low", "medium", "high", "critical")

Clock = Callable[[], datetime]


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
    """Outcome of walking the chain. ``first_bad_id``/``reason`` name the first broken link."""

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
    """What a retention purge removed and where the chain now starts."""

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
    """SHA-256 of one row's canonical serialisation (a JSON array in fixed field order;
    the JSON columns are hashed as stored, so re-encoding can never shift a hash)."""
    payload = _json(
        [
            HASH_VERSION,
            id,
            _ts_text(ts),
            user_pseudonym,
            event_type,
            severity,
            labels_json,
            action,
            text_hmac,
            request_id,
            key_id,
            details_json,
            prev_hash,
        ]
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


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


def _prepare(ev: NewEvent) -> dict[str, Any]:
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


class AuditLog:
    """Append, verify, query and purge the audit chain.

    Appends are serialised per database (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
    ``pg_advisory_xact_lock``), so concurrent writers in any number of threads or
    processes extend one chain.
    """

    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._clock = clock

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
        (used by erasure, consent and retention, which log in the same transaction)."""
        rows = [_prepare(ev) for ev in events]  # validate everything before writing anything
        last_id, prev = self._tail(conn)
        out: list[AuditEvent] = []
        values: list[dict[str, Any]] = []
        for fields in rows:
            last_id += 1
            ts = self._clock()
            if ts.tzinfo is None:
                raise InputError("the store clock must return timezone-aware datetimes")
            ts = ts.astimezone(UTC)
            h = row_hash(
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
            row = {"id": last_id, "ts": ts, **fields, "prev_hash": prev, "hash": h}
            values.append(row)
            out.append(_to_event(_Row(row)))
            prev = h
        conn.execute(insert(audit_events), values)
        return out

    @staticmethod
    def _tail(conn: Connection) -> tuple[int, str]:
        row = conn.execute(
            select(audit_events.c.id, audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)
        ).first()
        if row is not None:
            return int(row.id), row.hash
        anchor = _latest_anchor(conn)
        if anchor is not None:
            return int(anchor.first_id) - 1, anchor.prev_hash
        return 0, GENESIS

    # reading

    def head(self) -> tuple[int | None, str]:
        """(id, hash) of the newest row; publish it elsewhere to make truncation of the
        newest rows detectable, which a hash chain alone cannot do."""
        with read_tx(self._engine) as conn:
            last_id, h = self._tail(conn)
        return (last_id or None), h

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

    def verify(self, *, batch: int = 5000) -> VerifyReport:
        """Walk the whole chain; report the first row whose hash, id or link is wrong.

        Catches edited, inserted, reordered and deleted rows anywhere but at the very end
        (compare :meth:`head` with a copy kept elsewhere for that).
        """
        cols = audit_events.c
        query = select(
            cols.id,
            cols.ts,
            cols.user_pseudonym,
            cols.event_type,
            cols.severity,
            cols.labels,
            cols.action,
            cols.text_hmac,
            cols.request_id,
            cols.key_id,
            cols.details,
            cols.prev_hash,
            cols.hash,
        ).order_by(cols.id)
        with read_tx(self._engine, snapshot=True) as conn:
            anchor = _latest_anchor(conn)
            expected_prev = anchor.prev_hash if anchor is not None else GENESIS
            expected_id = int(anchor.first_id) if anchor is not None else 1
            anchored_at = expected_id if anchor is not None else None
            checked = 0
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            for row in result:
                rid, stored_prev, stored_hash = row[0], row[11], row[12]
                reason = None
                if row_hash(*row[:12]) != stored_hash:
                    reason = "row contents do not match its hash (row edited)"
                elif rid != expected_id:
                    reason = f"expected id {expected_id}, found {rid} (rows deleted or inserted)"
                elif stored_prev != expected_prev:
                    what = "the previous row" if checked else ("the chain anchor" if anchor else "genesis")
                    reason = f"prev_hash does not match the hash of {what}"
                if reason is not None:
                    result.close()
                    return VerifyReport(False, checked, rid, reason, None, "", anchored_at)
                checked += 1
                expected_id = rid + 1
                expected_prev = stored_hash
        return VerifyReport(True, checked, None, None, (expected_id - 1) or None, expected_prev, anchored_at)

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
        """Delete the oldest stretch of events older than ``older_than`` and anchor the
        chain where it now starts, so :meth:`verify` keeps passing.

        Only a prefix of the chain is ever removed: it stops at the first event that is
        still inside the retention window, even if a later one (clock skew) is older.
        """
        if not isinstance(older_than, timedelta) or older_than < timedelta(0):
            raise InputError("older_than must be a non-negative timedelta")
        now = _aware(now, "now") if now is not None else self._clock()
        cutoff = now - older_than
        c = audit_events.c
        with write_tx(self._engine) as conn:
            first_kept = conn.execute(select(func.min(c.id)).where(c.ts >= cutoff)).scalar()
            first_id = conn.execute(select(func.min(c.id))).scalar()
            last = (
                (first_kept - 1) if first_kept is not None else conn.execute(select(func.max(c.id))).scalar()
            )
            if first_id is None or last is None or last < first_id:
                return PurgeReceipt(cutoff, 0, first_id, None, None)
            boundary = conn.execute(select(c.hash).where(c.id == last)).scalar_one()
            with maintenance(conn):
                deleted = conn.execute(delete(audit_events).where(c.id <= last)).rowcount
                conn.execute(
                    insert(audit_chain_anchor).values(
                        ts=self._clock(), first_id=last + 1, prev_hash=boundary, purged=deleted
                    )
                )
            ev = NewEvent(
                "retention_purge",
                "info",
                details={"deleted": deleted, "through_id": last, "cutoff": _ts_text(cutoff)},
            )
            logged = self.append_on(conn, [ev])[0]
        return PurgeReceipt(cutoff, deleted, last + 1, boundary, logged.id)


class _Row:
    """Attribute access over a dict, so freshly appended rows reuse ``_to_event``."""

    __slots__ = ("_d",)

    def __init__(self, d: dict[str, Any]) -> None:
        self._d = d

    def __getattr__(self, name: str) -> Any:
        return self._d[name]


def _latest_anchor(conn: Connection) -> Any:
    return conn.execute(
        select(audit_chain_anchor.c.first_id, audit_chain_anchor.c.prev_hash)
        .order_by(audit_chain_anchor.c.id.desc())
        .limit(1)
    ).first()


def _aware(ts: Any, name: str) -> datetime:
    if not isinstance(ts, datetime):
        raise InputError(f"{name} must be a datetime")
    if ts.tzinfo is None:
        raise InputError(f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return ts.astimezone(UTC)
