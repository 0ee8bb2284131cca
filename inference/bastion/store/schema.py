"""Table definitions the runtime queries with (the migrations own the DDL).

Keep in step with ``migrations/versions``: a column added there is added here.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import SchemaItem

UTC = timezone.utc


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases.

    SQLite has no timezone type, so values are stored as naive UTC and come back aware;
    PostgreSQL stores ``timestamptz``. Either way a value reads back equal to what was
    written, to the microsecond, which the audit hash depends on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timestamps as timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()


def _serial_table(name: str, *columns: SchemaItem) -> Table:
    """A table keyed by an ``id`` the database assigns: BIGINT on PostgreSQL, INTEGER on
    SQLite, where only an INTEGER PRIMARY KEY autoincrements (it is the rowid)."""
    serial = BigInteger().with_variant(Integer, "sqlite")
    return Table(name, metadata, Column("id", serial, primary_key=True, autoincrement=True), *columns)


# The chain: ids are assigned by the appender under the chain lock (never by a sequence),
# so the id is known before the row MAC is computed and gaps mean deleted rows. ``prev_hash``
# and ``hash`` keep their schema-0001 names but hold keyed HMAC-SHA256 values since 0003.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("ts", UTCDateTime, nullable=False, index=True),
    Column("user_pseudonym", String(64), nullable=True, index=True),
    Column("event_type", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("labels", Text, nullable=False),
    Column("action", String(16), nullable=True),
    Column("text_hmac", String(64), nullable=True),
    Column("request_id", String(128), nullable=True),
    Column("key_id", String(128), nullable=True),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

# One row (id = 1) describing the chain: where it starts (after retention purges), its
# newest row, the key id it is MAC'd with and a MAC over all of that. The triggers only let
# the counters move forward, so a DML-only attacker can neither roll the head back to hide
# deleted newest rows nor re-open purged ids; forging a new head needs the key.
audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("start_id", BigInteger, nullable=False),
    Column("start_prev", String(64), nullable=False),
    Column("last_id", BigInteger, nullable=False),
    Column("last_mac", String(64), nullable=False),
    Column("legacy_through", BigInteger, nullable=False),
    Column("key_id", String(32), nullable=True),
    Column("mac", String(64), nullable=True),
)

pseudonyms = Table(
    "privacy_pseudonyms",
    metadata,
    Column("user_id", String(255), primary_key=True),
    Column("pseudonym", String(64), nullable=False, unique=True),
    Column("created", UTCDateTime, nullable=False),
)

consent_records = _serial_table(
    "privacy_consent",
    Column("user_pseudonym", String(64), nullable=False, index=True),
    Column("purpose", String(128), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("ts", UTCDateTime, nullable=False),
)

vault_entries = _serial_table(
    "privacy_vault",
    Column("owner", String(64), nullable=False, index=True),
    Column("scope", String(255), nullable=False),
    Column("label", String(64), nullable=False),
    Column("token", String(160), nullable=False),
    Column("lookup", String(64), nullable=False, unique=True),
    Column("nonce", LargeBinary(12), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    UniqueConstraint("owner", "scope", "token", name="uq_privacy_vault_token"),
)

# API keys (schema 0004; bastion.api.keys maps the same columns with the ORM): the key id,
# a per-key random salt and HMAC-SHA256(salt, secret), never the secret.
api_keys = Table(
    "bastion_api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("salt", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

ALL_TABLES = (
    "audit_events",
    "audit_chain_head",
    "privacy_pseudonyms",
    "privacy_consent",
    "privacy_vault",
    "bastion_api_keys",
)
