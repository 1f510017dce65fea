"""Meeting Guide fields kept whole, and when each table last changed.

Meetings gain the Meeting Guide fields a round trip (export -> import -> export) must not
lose: ``types`` (the spec's codes), ``regions`` (most general first), ``conference_phone``,
``location_notes``, ``group_name`` (the spec's ``group``), ``timezone`` and ``feed_extra``
(the spec's remaining public fields: ``url``, ``conference_url_notes``, ``venmo``, ...).
The ``approximate`` flag is ``location_precision`` (anything but ``exact`` is approximate)
and ``updated`` is ``updated_at``.

``data_versions`` gains ``changed_at``, set by the same triggers that bump ``version``: the
time of the last committed write to each table, which is what a feed's ``Last-Modified``
must say (deletions and status changes included, which no row's ``updated_at`` can show).

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

TABLES = ("peer_organisations", "meetings", "associations", "opportunities",
          "mutual_interest_links")


def _meeting_columns() -> list[sa.Column]:
    return [
        sa.Column("types", sa.JSON(), nullable=True),
        sa.Column("regions", sa.JSON(), nullable=True),
        sa.Column("conference_phone", sa.String(length=60), nullable=True),
        sa.Column("location_notes", sa.Text(), nullable=True),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("feed_extra", sa.JSON(), nullable=True),
    ]


def _sqlite_triggers(stamp: bool) -> None:
    setting = "version = version + 1" + (", changed_at = CURRENT_TIMESTAMP" if stamp else "")
    for t in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"trg_{t}_{event.lower()}_version"
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {t} BEGIN UPDATE data_versions "
                       f"SET {setting} WHERE table_name = '{t}'; END")


def _postgres_function(stamp: bool) -> None:
    setting = "version = version + 1" + (
        ", changed_at = clock_timestamp() AT TIME ZONE 'UTC'" if stamp else "")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION cg_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          flag text := 'commonground.bumped_' || TG_TABLE_NAME;
          txid text := txid_current()::text;
        BEGIN
          IF current_setting(flag, true) IS DISTINCT FROM txid THEN
            UPDATE data_versions SET {setting} WHERE table_name = TG_TABLE_NAME;
            PERFORM set_config(flag, txid, true);
          END IF;
          RETURN NULL;
        END $$
        """
    )


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch copy of the table would drop its triggers.
    for column in _meeting_columns():
        op.add_column("meetings", column)
    op.add_column("data_versions", sa.Column("changed_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgres_function(stamp=True)
    else:
        _sqlite_triggers(stamp=True)


def downgrade() -> None:
    with op.batch_alter_table("data_versions") as batch:
        batch.drop_column("changed_at")
    with op.batch_alter_table("meetings") as batch:
        for column in _meeting_columns():
            batch.drop_column(column.name)
    # After the columns: on SQLite a batch copy of ``meetings`` drops its triggers.
    if op.get_bind().dialect.name == "postgresql":
        _postgres_function(stamp=False)
    else:
        _sqlite_triggers(stamp=False)
