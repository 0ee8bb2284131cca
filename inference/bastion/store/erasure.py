"""Right to erasure: what :meth:`bastion.store.PrivacyStore.erase` removes, in one transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from bastion.store.audit import AuditLog, NewEvent
from bastion.store.consent import ConsentRegistry
from bastion.store.pseudonyms import Pseudonyms
from bastion.store.schema import audit_events, consent_records, vault_entries
from bastion.store.schema import pseudonyms as pseudonym_links
from bastion.store.vault import PersistentVault

# The tables an erasure deletes from (and ``vacuum=True`` rewrites).
ERASED_TABLES = (pseudonym_links.name, consent_records.name, vault_entries.name)


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    """What :meth:`PrivacyStore.erase` removed. Audit rows are kept (the chain must
    verify) but are unlinkable once the pseudonym link is gone; ``audit_events_unlinked``
    counts them. ``wal_cleared`` is False when SQLite's -wal file could not be truncated
    afterwards (a reader held an old snapshot): it may still hold the deleted rows, so run
    the erasure again (or ``--vacuum``) once the reader is gone."""

    user_found: bool
    pseudonym_links: int
    consent_records: int
    vault_entries: int
    audit_events_unlinked: int
    event_id: int
    # set by PrivacyStore.erase after the commit (the checkpoint cannot run inside it)
    wal_cleared: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def erase_on(conn: Connection, audit: AuditLog, user_id: str) -> ErasureReceipt:
    """Remove a (checked) user id's pseudonym link, consent records and vault entries and
    log an ``erasure`` event under the pseudonym, inside the caller's write transaction."""
    pseudonym = Pseudonyms.get_on(conn, user_id)
    vault_n = consent_n = link_n = audit_n = 0
    if pseudonym is not None:
        vault_n = PersistentVault.delete_owner_on(conn, pseudonym)
        consent_n = ConsentRegistry.delete_on(conn, pseudonym)
        link_n = Pseudonyms.delete_on(conn, user_id)
        audit_n = int(
            conn.execute(
                select(func.count())
                .select_from(audit_events)
                .where(audit_events.c.user_pseudonym == pseudonym)
            ).scalar_one()
        )
    counts = {
        "pseudonym_links": link_n,
        "consent_records": consent_n,
        "vault_entries": vault_n,
        "audit_events_unlinked": audit_n,
    }
    ev = NewEvent(
        "erasure",
        "info",
        user_pseudonym=pseudonym,
        details={"user_found": pseudonym is not None, **counts},
    )
    logged = audit.append_on(conn, [ev])[0]
    return ErasureReceipt(pseudonym is not None, link_n, consent_n, vault_n, audit_n, logged.id)
