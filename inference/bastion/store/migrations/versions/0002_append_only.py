"""Append-only audit trail: the database refuses UPDATE/DELETE on the chain.

UPDATE is always refused. DELETE (and on PostgreSQL TRUNCATE) only pass while the
transaction-scoped maintenance switch is on, which only the retention and erasure code
paths set (``bastion.store.db.maintenance``). The anchor table is guarded the same way,
and new anchors may only be written in maintenance mode, so a purge cannot be faked by an
application bug. Someone with DDL rights can still drop the triggers; the hash chain is
what catches that.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op
from bastion.store.migrations import append_only_0002

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    append_only_0002.create(op.get_bind().dialect.name == "postgresql")


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    append_only_0002.drop(pg)
    if not pg:
        op.execute("DROP TABLE audit_maintenance")
