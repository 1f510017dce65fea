"""Associations keep their opening times: the text as given and the schedule read from it.

``opening_times`` is the text of the source ("Wednesday 10am - 4pm", "2nd Tuesday of the
month"); ``schedule`` is what ingest could read from it without guessing (a list of
``{"weekdays", "start", "end"}``), or empty.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("associations") as batch:
        batch.add_column(sa.Column("opening_times", sa.Text(), nullable=True))
        batch.add_column(sa.Column("schedule", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("associations") as batch:
        batch.drop_column("schedule")
        batch.drop_column("opening_times")
