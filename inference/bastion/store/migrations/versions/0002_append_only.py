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

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_FLAG = "(SELECT active FROM audit_maintenance WHERE id = 1) IS NOT 1"

_PG_FUNCTION = """
CREATE FUNCTION bastion_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE')
     AND coalesce(current_setting('bastion.maintenance', true), '') = 'on' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' AND TG_TABLE_NAME = 'audit_chain_anchor'
     AND coalesce(current_setting('bastion.maintenance', true), '') = 'on' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'bastion: % on % is refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in ("audit_events", "audit_chain_anchor"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION bastion_audit_guard()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bastion_audit_guard()"
            )
        op.execute(
            "CREATE TRIGGER audit_chain_anchor_insert BEFORE INSERT ON audit_chain_anchor "
            "FOR EACH ROW EXECUTE FUNCTION bastion_audit_guard()"
        )
        return
    # SQLite: no session variables, and a trigger in the main schema cannot see temp
    # tables, so the switch is a one-row table flipped inside the write transaction.
    op.execute(
        "CREATE TABLE audit_maintenance (id INTEGER PRIMARY KEY CHECK (id = 1), active INTEGER NOT NULL)"
    )
    op.execute("INSERT INTO audit_maintenance (id, active) VALUES (1, 0)")
    for table in ("audit_events", "audit_chain_anchor"):
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'bastion: UPDATE on {table} is refused: the audit trail is append-only'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN {_SQLITE_FLAG} BEGIN "
            f"SELECT RAISE(ABORT, 'bastion: DELETE on {table} is refused: the audit trail is append-only'); END"
        )
    op.execute(
        f"CREATE TRIGGER audit_chain_anchor_insert BEFORE INSERT ON audit_chain_anchor WHEN {_SQLITE_FLAG} "
        "BEGIN SELECT RAISE(ABORT, 'bastion: INSERT on audit_chain_anchor is refused outside retention'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_chain_anchor_insert ON audit_chain_anchor")
        for table in ("audit_events", "audit_chain_anchor"):
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION bastion_audit_guard()")
        return
    op.execute("DROP TRIGGER audit_chain_anchor_insert")
    for table in ("audit_events", "audit_chain_anchor"):
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(f"DROP TRIGGER {table}_no_update")
    op.execute("DROP TABLE audit_maintenance")
