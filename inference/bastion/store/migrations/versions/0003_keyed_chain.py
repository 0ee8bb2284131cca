"""Keyed audit chain: a MAC'd chain head replaces the anchor table and maintenance mode.

Schema 0002 let the data role switch "maintenance mode" on (a table row on SQLite, a
session setting on PostgreSQL), delete rows and insert a new anchor, and the chain was an
unkeyed SHA-256 anyone could recompute. From here on:

- rows are HMAC-SHA256 over (canonical fields, previous MAC) with a key that never enters
  the database (``bastion.store.audit``);
- ``audit_chain_head`` (one row) records where the chain starts, its newest row and a MAC
  over both; a purge moves the start forward and appends a MAC'd ``retention_purge``
  receipt that ``verify`` requires;
- there is no switch: DELETE is refused for ids at or after the head's start, UPDATE is
  always refused, INSERT only extends the chain, and the head's counters only move
  forward. Raising the start to allow a DELETE is possible with plain DML, but the head
  MAC and the missing receipt give it away.

Existing rows stay as they are (unkeyed v1 hashes) up to ``legacy_through``; writes refuse
such a chain until an operator runs ``bastion audit seal`` with the key, which verifies them
and seals them with a MAC'd ``audit_chain_sealed`` event (an implicit seal on the first write
vouched for whatever the rows said then, a forgery included).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from bastion.store.migrations import append_only_0002

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_REFUSED = "the audit trail is append-only"

_PG_GUARD = f"""
CREATE FUNCTION bastion_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  lim bigint;
BEGIN
  IF TG_TABLE_NAME = 'audit_events' AND TG_OP = 'INSERT' THEN
    SELECT last_id INTO lim FROM audit_chain_head WHERE id = 1;
    IF lim IS NOT NULL AND NEW.id > lim THEN
      RETURN NEW;
    END IF;
  ELSIF TG_TABLE_NAME = 'audit_events' AND TG_OP = 'DELETE' THEN
    SELECT start_id INTO lim FROM audit_chain_head WHERE id = 1;
    IF lim IS NOT NULL AND OLD.id < lim THEN
      RETURN OLD;
    END IF;
  ELSIF TG_TABLE_NAME = 'audit_chain_head' AND TG_OP = 'UPDATE' THEN
    IF NEW.id = OLD.id AND NEW.last_id >= OLD.last_id AND NEW.start_id >= OLD.start_id
       AND NEW.legacy_through = OLD.legacy_through
       AND (OLD.mac IS NULL OR NEW.mac IS NOT NULL) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'bastion: % on % is refused: {_REFUSED}', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$
"""

_SQLITE_TRIGGERS = {
    "audit_events_no_update": "BEFORE UPDATE ON audit_events",
    "audit_events_no_delete": (
        "BEFORE DELETE ON audit_events WHEN NOT "
        "(OLD.id < coalesce((SELECT start_id FROM audit_chain_head WHERE id = 1), 0))"
    ),
    "audit_events_no_insert": (
        "BEFORE INSERT ON audit_events WHEN NOT "
        "(NEW.id > coalesce((SELECT last_id FROM audit_chain_head WHERE id = 1), 9223372036854775807))"
    ),
    "audit_chain_head_no_insert": "BEFORE INSERT ON audit_chain_head",
    "audit_chain_head_no_delete": "BEFORE DELETE ON audit_chain_head",
    "audit_chain_head_no_rewind": (
        "BEFORE UPDATE ON audit_chain_head WHEN NOT (NEW.id = OLD.id AND NEW.last_id >= OLD.last_id "
        "AND NEW.start_id >= OLD.start_id AND NEW.legacy_through = OLD.legacy_through "
        "AND (OLD.mac IS NULL OR NEW.mac IS NOT NULL))"
    ),
}


def _legacy_head(bind: sa.Connection) -> dict[str, object]:
    """The head of a schema-0002 chain as 0002's verify saw it: starting at the newest
    anchor (or id 1 from genesis) and ending at the newest row."""
    anchor = bind.execute(
        sa.text("SELECT first_id, prev_hash FROM audit_chain_anchor ORDER BY id DESC LIMIT 1")
    ).first()
    start_id, start_prev = (int(anchor[0]), anchor[1]) if anchor is not None else (1, GENESIS)
    last = bind.execute(sa.text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")).first()
    last_id, last_mac = (int(last[0]), last[1]) if last is not None else (start_id - 1, start_prev)
    return {
        "start_id": start_id,
        "start_prev": start_prev,
        "last_id": last_id,
        "last_mac": last_mac,
        "legacy_through": last_id,
    }


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    head = _legacy_head(bind)
    append_only_0002.drop(pg)
    if not pg:
        op.drop_table("audit_maintenance")
    op.drop_table("audit_chain_anchor")

    head_table = op.create_table(
        "audit_chain_head",
        sa.Column(
            "id",
            sa.Integer,
            sa.CheckConstraint("id = 1", name="ck_audit_chain_head_one_row"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("start_id", sa.BigInteger, nullable=False),
        sa.Column("start_prev", sa.String(64), nullable=False),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("last_mac", sa.String(64), nullable=False),
        sa.Column("legacy_through", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("mac", sa.String(64), nullable=True),
    )
    op.bulk_insert(head_table, [{"id": 1, **head, "key_id": None, "mac": None}])

    if pg:
        op.execute(_PG_GUARD)
        for table in ("audit_events", "audit_chain_head"):
            op.execute(
                f"CREATE TRIGGER {table}_guard BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION bastion_audit_guard()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bastion_audit_guard()"
            )
        return
    for name, when in _SQLITE_TRIGGERS.items():
        table = when.split(" ON ")[1].split()[0]
        op.execute(
            f"CREATE TRIGGER {name} {when} BEGIN "
            f"SELECT RAISE(ABORT, 'bastion: write on {table} is refused: {_REFUSED}'); END"
        )


def downgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    head = bind.execute(sa.text("SELECT start_id, start_prev FROM audit_chain_head WHERE id = 1")).first()
    if pg:
        for table in ("audit_events", "audit_chain_head"):
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_guard ON {table}")
        op.execute("DROP FUNCTION bastion_audit_guard()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("audit_chain_head")
    anchor = op.create_table(
        "audit_chain_anchor",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_id", sa.BigInteger, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("purged", sa.BigInteger, nullable=False),
    )
    if head is not None and (int(head[0]), head[1]) != (1, GENESIS):
        # Keep the purge boundary; rows written since 0003 carry MACs that 0002 cannot check.
        from datetime import datetime, timezone

        ts = datetime.now(timezone.utc)
        op.bulk_insert(
            anchor,
            [
                {
                    "ts": ts if pg else ts.replace(tzinfo=None),
                    "first_id": int(head[0]),
                    "prev_hash": head[1],
                    "purged": 0,
                }
            ],
        )
    append_only_0002.create(pg)
