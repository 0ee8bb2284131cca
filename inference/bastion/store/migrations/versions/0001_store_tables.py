"""Store tables: audit chain, chain anchor, pseudonyms, consent, vault.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _autoid() -> sa.Column:
    return sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("ts", _ts(), nullable=False),
        sa.Column("user_pseudonym", sa.String(64), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("text_hmac", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("key_id", sa.String(128), nullable=True),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("hash", name="uq_audit_events_hash"),
    )
    op.create_index("ix_audit_events_ts", "audit_events", ["ts"])
    op.create_index("ix_audit_events_user_pseudonym", "audit_events", ["user_pseudonym"])
    op.create_table(
        "audit_chain_anchor",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", _ts(), nullable=False),
        sa.Column("first_id", sa.BigInteger, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("purged", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "privacy_pseudonyms",
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.UniqueConstraint("pseudonym", name="uq_privacy_pseudonyms_pseudonym"),
    )
    op.create_table(
        "privacy_consent",
        _autoid(),
        sa.Column("user_pseudonym", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(128), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("ts", _ts(), nullable=False),
    )
    op.create_index("ix_privacy_consent_user", "privacy_consent", ["user_pseudonym", "purpose"])
    op.create_table(
        "privacy_vault",
        _autoid(),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("token", sa.String(160), nullable=False),
        sa.Column("lookup", sa.String(64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.UniqueConstraint("lookup", name="uq_privacy_vault_lookup"),
        sa.UniqueConstraint("owner", "scope", "token", name="uq_privacy_vault_token"),
    )
    op.create_index("ix_privacy_vault_owner", "privacy_vault", ["owner"])


def downgrade() -> None:
    op.drop_table("privacy_vault")
    op.drop_table("privacy_consent")
    op.drop_table("privacy_pseudonyms")
    op.drop_table("audit_chain_anchor")
    op.drop_index("ix_audit_events_user_pseudonym", table_name="audit_events")
    op.drop_index("ix_audit_events_ts", table_name="audit_events")
    op.drop_table("audit_events")
