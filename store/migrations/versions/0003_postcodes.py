"""Postcode reference table loaded by ``commonground ingest postcodes``.

Full postcodes and district centroids (ONS Postcode Directory, Code-Point Open, or a
districts table) for the offline geocoder. Kept in the store so every process and host of a
deployment geocodes the same way.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postcodes",
        sa.Column("postcode", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.bulk_insert(
        sa.table("data_versions", sa.column("table_name"), sa.column("version")),
        [{"table_name": "postcodes", "version": 0}],
    )


def downgrade() -> None:
    op.drop_table("postcodes")
    op.execute("DELETE FROM data_versions WHERE table_name = 'postcodes'")
