"""Change counters per located table, bumped by triggers on every write.

In-process caches (the SQLite spatial index, later the matching vectors) check one primary-key
lookup instead of scanning a table to learn whether it changed; triggers catch every write
path (ORM, bulk core statements, raw SQL, other processes).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("peer_organisations", "meetings", "associations", "opportunities",
          "mutual_interest_links")


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.bulk_insert(
        sa.table("data_versions", sa.column("table_name"), sa.column("version")),
        [{"table_name": t, "version": 0} for t in TABLES],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION cg_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              UPDATE data_versions SET version = version + 1 WHERE table_name = TG_TABLE_NAME;
              RETURN NULL;
            END $$
            """
        )
        for t in TABLES:
            op.execute(
                f"CREATE TRIGGER trg_{t}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {t} FOR EACH STATEMENT EXECUTE FUNCTION cg_bump_data_version()"
            )
    else:
        for t in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER trg_{t}_{event.lower()}_version AFTER {event} ON {t} "
                    f"BEGIN UPDATE data_versions SET version = version + 1 "
                    f"WHERE table_name = '{t}'; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{t}_version ON {t}")
        op.execute("DROP FUNCTION IF EXISTS cg_bump_data_version()")
    else:
        for t in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{t}_{event}_version")
    op.drop_table("data_versions")
