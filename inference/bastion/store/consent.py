"""Consent records per user and purpose, with full history.

The newest record for a (user, purpose) decides :meth:`ConsentRegistry.has_consent`;
older ones stay as evidence of what was agreed under which policy version. Every change
is also an audit event (pseudonymous, no user id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from bastion.errors import InputError
from bastion.store.audit import AuditLog, Clock, NewEvent, _ts_text, check_str, utcnow
from bastion.store.db import read_tx, write_tx
from bastion.store.pseudonyms import Pseudonyms, check_user_id
from bastion.store.schema import consent_records


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    purpose: str
    granted: bool
    policy_version: str
    ts: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "granted": self.granted,
            "policy_version": self.policy_version,
            "ts": _ts_text(self.ts),
        }


_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/\-]*")


class ConsentRegistry:
    """Grant, withdraw and query consent.

    >>> import tempfile, os
    >>> from bastion.store import PrivacyStore
    >>> c = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "c.db"), audit_key=b"k" * 32).consent
    >>> _ = c.grant("alice", "analytics", "2026-01"); c.has_consent("alice", "analytics")
    True
    >>> _ = c.withdraw("alice", "analytics", "2026-01"); c.has_consent("alice", "analytics")
    False
    """

    def __init__(self, engine: Engine, audit: AuditLog, users: Pseudonyms, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._audit = audit
        self._users = users
        self._clock = clock
        self._pii: Any = None  # the regex PII detector, built on the first consent change

    def _pii_labels(self, value: str) -> list[str]:
        """Labels the regex recognizers find in ``value``. Those, not a digit-run rule:
        their checksums (Luhn, SSN areas, phone numbering plans, IBAN mod-97) refuse an SSN,
        a card, a phone number, an e-mail address or an IBAN while a compact date such as
        ``20260115`` stays a valid policy version. Imported here: it costs about 0.4 s, and
        most store users never record consent. Names are not caught (that needs the NER
        model): the identifier rule and the docs are what keep those out."""
        if self._pii is None:
            from bastion.detectors.pii_regex import RegexPIIDetector

            self._pii = RegexPIIDetector()
        # a policy URL (no query string: the identifier rule has no ? & =) names no one
        return sorted({f.label for f in self._pii.detect([value])[0] if f.label != "URL"})

    def grant(self, user_id: str, purpose: str, policy_version: str) -> ConsentRecord:
        return self._record(user_id, purpose, policy_version, True)

    def withdraw(self, user_id: str, purpose: str, policy_version: str) -> ConsentRecord:
        return self._record(user_id, purpose, policy_version, False)

    def _record(self, user_id: str, purpose: str, policy_version: str, granted: bool) -> ConsentRecord:
        user_id = check_user_id(user_id)
        purpose = check_str("purpose", purpose, 128, optional=False)  # type: ignore[assignment]
        policy_version = check_str("policy_version", policy_version, 64, optional=False)  # type: ignore[assignment]
        # both are copied into the audit chain, which erasure cannot touch: identifiers only
        # ("analytics", "marketing-email", "2026-01"), never free text that could name a person
        for name, value in (("purpose", purpose), ("policy_version", policy_version)):
            if not _IDENTIFIER.fullmatch(value):
                raise InputError(
                    f"{name} must be an identifier (letters, digits and _ . : / -), got {value!r}"
                )
            found = self._pii_labels(value)
            if found:
                # the value itself is not repeated: it is the personal data being refused
                raise InputError(
                    f"{name} looks like personal data ({', '.join(found)}): it is kept in the audit "
                    "chain after an erasure, so use a plain identifier such as 'analytics' or '2026-01'"
                )
        with write_tx(self._engine) as conn:
            pseudonym = self._users.get_or_create_on(conn, user_id)
            ts = self._clock()
            conn.execute(
                insert(consent_records).values(
                    user_pseudonym=pseudonym,
                    purpose=purpose,
                    granted=granted,
                    policy_version=policy_version,
                    ts=ts,
                )
            )
            self._audit.append_on(
                conn,
                [
                    NewEvent(
                        "consent_granted" if granted else "consent_withdrawn",
                        "info",
                        user_pseudonym=pseudonym,
                        details={"purpose": purpose, "policy_version": policy_version},
                    )
                ],
            )
        return ConsentRecord(purpose, granted, policy_version, ts)

    def has_consent(self, user_id: str, purpose: str) -> bool:
        """True when the newest record for this user and purpose is a grant."""
        latest = self.history(user_id, purpose)
        return bool(latest) and latest[-1].granted

    def history(self, user_id: str, purpose: str | None = None) -> list[ConsentRecord]:
        """All records for the user (optionally one purpose), oldest first."""
        user_id = check_user_id(user_id)
        c = consent_records.c
        with read_tx(self._engine) as conn:
            pseudonym = Pseudonyms.get_on(conn, user_id)
            if pseudonym is None:
                return []
            query = select(c.purpose, c.granted, c.policy_version, c.ts).where(c.user_pseudonym == pseudonym)
            if purpose is not None:
                query = query.where(c.purpose == purpose)
            rows = conn.execute(query.order_by(c.id)).all()
        return [ConsentRecord(r.purpose, bool(r.granted), r.policy_version, r.ts) for r in rows]

    @staticmethod
    def delete_on(conn: Connection, pseudonym: str) -> int:
        return conn.execute(
            delete(consent_records).where(consent_records.c.user_pseudonym == pseudonym)
        ).rowcount
