"""API keys move into the store's schema: ``bastion_api_keys``.

Until now ``bastion.api.keys`` created this table itself (``create_all``) in a database of
its own, outside any migration. Keys, audit trail, consent and vault now share one
database and one migration history. A database whose key table already exists (made by
``create_all``) keeps it and its keys: the table is adopted once its columns are checked.

Only the key id, a per-key salt and ``HMAC-SHA256(salt, secret)`` are stored.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from bastion.errors import ConfigError

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "bastion_api_keys"
COLUMNS = {"id", "name", "salt", "digest", "created_at", "revoked_at"}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if inspector.has_table(TABLE):
        found = {c["name"] for c in inspector.get_columns(TABLE)}
        if found != COLUMNS:
            raise ConfigError(
                f"table {TABLE} exists with columns {sorted(found)}, expected {sorted(COLUMNS)}: "
                "not a bastion API key table, so it is not adopted"
            )
        return
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
