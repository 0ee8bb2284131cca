"""Privacy store: tamper-evident audit trail, pseudonyms, consent, retention, erasure
and an encrypted vault, on SQLite or PostgreSQL.

Needs the ``store`` extra (SQLAlchemy, alembic, cryptography, psycopg); ``import bastion``
never imports this package. ``register_metrics`` also needs ``prometheus-client`` (the
``api`` extra) and imports it only when used.

>>> import tempfile, os
>>> from bastion.store import PrivacyStore
>>> store = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "b.db"), audit_key=b"k" * 32)
>>> store.audit.append("startup").event_type, store.verify().ok
('startup', True)
"""

from bastion.store.audit import (
    GENESIS,
    SEVERITIES,
    AuditEvent,
    AuditIntegrityError,
    AuditLog,
    NewEvent,
    PurgeReceipt,
    SecurityStats,
    VerifyReport,
)
from bastion.store.consent import ConsentRecord, ConsentRegistry
from bastion.store.facade import ErasureReceipt, PrivacyStore, severity_of
from bastion.store.keys import new_vault_key
from bastion.store.pseudonyms import Pseudonyms
from bastion.store.vault import PersistentVault


def __getattr__(name: str) -> object:
    # The metrics module needs prometheus-client, which the store extra does not install.
    if name in ("register_metrics", "AuditMetricsCollector"):
        from bastion.store import metrics

        return getattr(metrics, name)
    raise AttributeError(f"module 'bastion.store' has no attribute {name!r}")


__all__ = [
    "GENESIS",
    "SEVERITIES",
    "AuditEvent",
    "AuditIntegrityError",
    "AuditLog",
    "AuditMetricsCollector",
    "ConsentRecord",
    "ConsentRegistry",
    "ErasureReceipt",
    "NewEvent",
    "PersistentVault",
    "PrivacyStore",
    "Pseudonyms",
    "PurgeReceipt",
    "SecurityStats",
    "VerifyReport",
    "new_vault_key",
    "register_metrics",
    "severity_of",
]
