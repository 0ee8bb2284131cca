"""No planner statistics on the columns that hold raw ids (PostgreSQL only).

``privacy_pseudonyms.user_id`` holds raw user ids (often e-mail addresses) and
``privacy_vault.scope`` raw session ids. ANALYZE, which autovacuum runs on its own, copies
sampled values of ordinary columns into ``pg_statistic`` (``pg_stats.histogram_bounds``,
``most_common_vals``), where an erased id survived ``erase --vacuum``: VACUUM (FULL) does
not touch statistics. A statistics target of 0 makes ANALYZE skip these columns; it does
not remove what an earlier ANALYZE stored, so the columns' statistics are dropped too
(altering a column to its own type drops them, without a table rewrite). The planner
loses nothing it needs: both columns are only ever looked up by equality, through their
unique indexes.

SQLite's ``sqlite_stat1`` (only after a manual ANALYZE) holds row counts, not values.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RAW_ID_COLUMNS = (("privacy_pseudonyms", "user_id"), ("privacy_vault", "scope"))


def _type_of(table: str, column: str) -> str:
    query = sa.text(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(:t) AND attname = :c"
    )
    return op.get_bind().execute(query, {"t": table, "c": column}).scalar_one()


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in RAW_ID_COLUMNS:
        op.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {_type_of(table, column)}, '
            f'ALTER COLUMN "{column}" SET STATISTICS 0'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in RAW_ID_COLUMNS:
        # -1: back to default_statistics_target; the next ANALYZE samples the column again
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET STATISTICS -1')
