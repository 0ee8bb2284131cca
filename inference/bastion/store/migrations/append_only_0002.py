"""Schema 0002's append-only guard, for the two revisions that run it.

Revision 0002 installs it and its downgrade removes it; revision 0003 removes it on the
way up and puts it back on the way down. This is migration history: the statements must
stay exactly as 0002 first ran them, so nothing here may change (a new rule is a new
revision with DDL of its own).
"""

from __future__ import annotations

from alembic import op

TABLES = ("audit_events", "audit_chain_anchor")

# SQLite: no session variables, and a trigger in the main schema cannot see temp tables,
# so the maintenance switch is a one-row table flipped inside the write transaction.
SQLITE_SWITCH = (
    "CREATE TABLE audit_maintenance (id INTEGER PRIMARY KEY CHECK (id = 1), active INTEGER NOT NULL)",
    "INSERT INTO audit_maintenance (id, active) VALUES (1, 0)",
)
SQLITE_FLAG = "(SELECT active FROM audit_maintenance WHERE id = 1) IS NOT 1"

PG_FUNCTION = """
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


def _pg_statements() -> list[str]:
    out = [PG_FUNCTION]
    for table in TABLES:
        out.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bastion_audit_guard()"
        )
        out.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bastion_audit_guard()"
        )
    out.append(
        "CREATE TRIGGER audit_chain_anchor_insert BEFORE INSERT ON audit_chain_anchor "
        "FOR EACH ROW EXECUTE FUNCTION bastion_audit_guard()"
    )
    return out


def _sqlite_statements() -> list[str]:
    out = list(SQLITE_SWITCH)
    for table in TABLES:
        out.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'bastion: UPDATE on {table} is refused: the audit trail is append-only'); END"
        )
        out.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN {SQLITE_FLAG} BEGIN "
            f"SELECT RAISE(ABORT, 'bastion: DELETE on {table} is refused: the audit trail is append-only'); END"
        )
    out.append(
        f"CREATE TRIGGER audit_chain_anchor_insert BEFORE INSERT ON audit_chain_anchor WHEN {SQLITE_FLAG} "
        "BEGIN SELECT RAISE(ABORT, 'bastion: INSERT on audit_chain_anchor is refused outside retention'); END"
    )
    return out


def create(pg: bool) -> None:
    """Install the guard: the trigger function and triggers on PostgreSQL; the switch
    table and the triggers on SQLite."""
    for statement in _pg_statements() if pg else _sqlite_statements():
        op.execute(statement)


def drop(pg: bool) -> None:
    """Remove the triggers (and on PostgreSQL the function). The SQLite switch table is
    left to the caller: 0002's downgrade and 0003's upgrade each drop it as they first did."""
    if pg:
        op.execute("DROP TRIGGER audit_chain_anchor_insert ON audit_chain_anchor")
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION bastion_audit_guard()")
        return
    op.execute("DROP TRIGGER audit_chain_anchor_insert")
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(f"DROP TRIGGER {table}_no_update")
