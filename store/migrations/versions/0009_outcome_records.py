"""Outcome records: anonymous counts of what came of a link or a need (issue 13, point 4).

One row per period (a month or a day) and per link or need: peers who took part, hours,
skills learned (slugs), peers who went on to volunteer or became licensed. Nothing names or
describes a peer. ``recorded_by`` says whose figures they are: the association, the peer
organisation side, or the partner's inbox (a counter per need, organisation and month, keyed
by ``source_id``).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_unit", sa.String(length=8), nullable=False),
        sa.Column("peers_taking_part", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("went_on_to_volunteer", sa.Integer(), nullable=False),
        sa.Column("became_licensed", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("recorded_by IN ('association', 'organisation', 'inbox')",
                           name="ck_outcome_records_recorded_by"),
        sa.CheckConstraint("period_unit IN ('month', 'day')", name="ck_outcome_records_unit"),
        sa.CheckConstraint("peers_taking_part >= 0 AND hours >= 0 AND went_on_to_volunteer >= 0 "
                           "AND became_licensed >= 0", name="ck_outcome_records_figures"),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["peer_organisations.id"]),
        sa.ForeignKeyConstraint(["opportunity_id"], ["opportunities.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_outcome_records_source"),
    )
    for column in ("association_id", "organisation_id", "opportunity_id", "period_start"):
        op.create_index(f"ix_outcome_records_{column}", "outcome_records", [column])


def downgrade() -> None:
    op.drop_table("outcome_records")
