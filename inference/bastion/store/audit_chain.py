"""The audit chain's integrity layer: canonical row form, MACs, the head record, and
verification.

Every row stores the MAC of the row before it (``prev_hash``) and its own HMAC-SHA256
over a canonical serialisation of all its fields plus that previous MAC (``hash``; the
column names predate the keying). One ``audit_chain_head`` row, MAC'd too, records where
the chain starts and its newest row. :func:`verify_chain` walks the rows against it;
:class:`bastion.store.audit.AuditLog` writes them. This module knows nothing of how
events are built or queried, so both can rely on it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from bastion.errors import BastionError
from bastion.store.keys import derive
from bastion.store.schema import UTC, audit_chain_head, audit_events

GENESIS = "0" * 64
HASH_VERSION = "bastion-audit-v1"  # unkeyed SHA-256 rows written before schema 0003
MAC_VERSION = "bastion-audit-v2"
HEAD_VERSION = "bastion-audit-head-v2"
PURGE_EVENT = "retention_purge"
SEAL_EVENT = "audit_chain_sealed"
# Only the store writes these: they justify where the chain starts, so an application bug
# must not be able to log one.
RESERVED_EVENT_TYPES = frozenset({PURGE_EVENT, SEAL_EVENT})


class AuditIntegrityError(BastionError):
    """The stored chain is not what the key holder wrote (tampering, or the wrong key):
    raised by writes that would otherwise extend or re-anchor it, so a purge or an
    append never launders a break. :meth:`AuditLog.verify` reports the details."""


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


# --- canonical form -------------------------------------------------------------------


def ts_text(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=sort_keys, allow_nan=False)


def _row_payload(version: str, fields: tuple[Any, ...]) -> bytes:
    # fields: id, ts, user_pseudonym, event_type, severity, labels_json, action, text_hmac,
    # request_id, key_id, details_json, prev_hash. The JSON columns are covered as stored,
    # so re-encoding can never shift a MAC.
    (rid, ts, *rest) = fields
    return canonical_json([version, rid, ts_text(ts), *rest]).encode("ascii")


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
        payload = canonical_json(
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


def write_head(conn: Connection, head: ChainHead) -> None:
    values = {
        "start_id": head.start_id,
        "start_prev": head.start_prev,
        "last_id": head.last_id,
        "last_mac": head.last_mac,
        "key_id": head.key_id,
        "mac": head.mac,
    }
    conn.execute(update(audit_chain_head).where(audit_chain_head.c.id == 1).values(**values))


# --- walking and verifying the rows ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainScan:
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


def scan_chain(
    conn: Connection, head: ChainHead, key: bytes | None, *, upto: int | None = None, batch: int = 5000
) -> ChainScan:
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
            return ChainScan(rid, reason, checked, None, None, frozenset(vouched), sealed_through)
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
    return ChainScan(
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


def head_problem(head: ChainHead, key: bytes) -> str | None:
    kid = key_id_of(key)
    if head.key_id != kid:
        return (
            f"the chain is MAC'd with another key (key id {head.key_id}, this key is {kid}): "
            "use the audit key the chain was written with"
        )
    if not _same(head.expected_mac(key), head.mac):
        return "the chain head record was altered (its MAC does not match)"
    return None


def verify_chain(
    conn: Connection, key: bytes, *, known_head: tuple[int, str] | None = None, batch: int = 5000
) -> VerifyReport:
    """What :meth:`bastion.store.audit.AuditLog.verify` reports, read on ``conn`` (a
    snapshot transaction, so rows appended meanwhile cannot read as a break)."""
    try:
        head = read_head(conn)
    except AuditIntegrityError as exc:
        return VerifyReport(False, 0, None, str(exc), None, "")
    if head is None:
        return VerifyReport(False, 0, None, "the audit chain head record is missing", None, "")
    if not head.sealed:
        return _verify_unsealed(conn, head, known_head, batch)
    problem = head_problem(head, key)
    if problem is not None:
        return _failed(head, None, problem)
    scan = scan_chain(conn, head, key, batch=batch)
    if known_head is not None and scan.reason is None and not _still_holds(conn, head, known_head):
        return _failed(
            head,
            known_head[0],
            f"the chain no longer holds row {known_head[0]} as it was seen before "
            "(rolled back to an older or empty state)",
            scan.checked,
        )
    return _judge(head, scan)


def _anchor(head: ChainHead) -> int | None:
    """The first id after a retention purge, None for a chain that starts at genesis."""
    return head.start_id if (head.start_id, head.start_prev) != (1, GENESIS) else None


def _failed(head: ChainHead, bad_id: int | None, reason: str, checked: int = 0) -> VerifyReport:
    return VerifyReport(False, checked, bad_id, reason, None, "", _anchor(head))


def _verify_unsealed(
    conn: Connection, head: ChainHead, known_head: tuple[int, str] | None, batch: int
) -> VerifyReport:
    """A chain written before keyed MACs: fine only while it is new and empty."""
    if known_head is not None and known_head[0] > 0:
        return _failed(
            head,
            known_head[0],
            f"the chain no longer holds row {known_head[0]} as it was seen before "
            "(reset to an unsealed state)",
        )
    if (head.start_id, head.start_prev, head.last_id) == (1, GENESIS, 0):
        n = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
        if n == 0:
            return VerifyReport(True, 0, None, None, None, GENESIS, None)
    scan = scan_chain(conn, head, None, batch=batch)
    if scan.reason is not None:
        return _failed(head, scan.bad_id, scan.reason, scan.checked)
    return _failed(
        head,
        None,
        "the chain was written before keyed MACs (schema 0002) and is not sealed yet: "
        "run `bastion audit seal` with the audit key (only for a store upgraded from schema "
        "0002: a keyed chain never reads as unsealed, so otherwise the head was rewritten)",
        scan.checked,
    )


def _still_holds(conn: Connection, head: ChainHead, known_head: tuple[int, str]) -> bool:
    """Whether the row ``known_head`` names is still there as it was (a purged one is)."""
    rid, mac = known_head
    if rid < head.start_id:
        return True
    return (
        rid <= head.last_id
        and conn.execute(select(audit_events.c.hash).where(audit_events.c.id == rid)).scalar() == mac
    )


def _judge(head: ChainHead, scan: ChainScan) -> VerifyReport:
    """The verdict on a sealed chain once its rows were walked: the first break, rows
    missing at either end, and a start that no receipt vouches for."""
    if scan.reason is not None:
        return _failed(head, scan.bad_id, scan.reason, scan.checked)
    if scan.last_id is None:
        if head.last_id != head.start_id - 1:
            return _failed(
                head,
                head.start_id,
                f"the chain is empty but the head records rows up to id {head.last_id} "
                "(rows deleted or the table truncated)",
            )
    elif (scan.last_id, scan.last_mac) != (head.last_id, head.last_mac):
        if scan.last_id < head.last_id:
            reason = f"the newest row is id {scan.last_id} but the head records id {head.last_id} (newest rows deleted)"
            return _failed(head, scan.last_id + 1, reason, scan.checked)
        return _failed(
            head,
            scan.last_id,
            "rows after the head record's newest row (written without the key)",
            scan.checked,
        )
    anchored = _anchor(head)
    if anchored is not None and (head.start_id, head.start_prev) not in scan.vouched:
        return _failed(
            head,
            head.start_id,
            f"the chain starts at id {head.start_id} but no retention receipt or seal event "
            "vouches for that start (rows removed without a purge)",
            scan.checked,
        )
    if head.legacy_through >= head.start_id and scan.sealed_legacy_through != head.legacy_through:
        return _failed(head, head.start_id, "unkeyed legacy rows without a matching seal event", scan.checked)
    return VerifyReport(True, scan.checked, None, None, head.last_id or None, head.last_mac, anchored)
