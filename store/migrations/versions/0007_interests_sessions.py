"""Peers' "I'm interested" (expressed_interests) and users.session_version.

``expressed_interests`` keeps how a peer asked to be reached and what became of it; the
contact is wiped when handled or after the retention period. ``users.session_version`` is
bumped on sign-out and password change so that older session cookies are refused.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.create_table(
        "expressed_interests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("contact_method", sa.String(length=16), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("contact_deleted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('new', 'contacted', 'taking_part', 'not_a_fit')",
                           name="ck_expressed_interests_status"),
        sa.CheckConstraint("contact_method IN ('email', 'phone', 'meeting')",
                           name="ck_expressed_interests_method"),
        sa.ForeignKeyConstraint(["opportunity_id"], ["opportunities.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_expressed_interests_opportunity_id", "expressed_interests",
                    ["opportunity_id"])
    op.create_index("ix_expressed_interests_created_at", "expressed_interests", ["created_at"])


def downgrade() -> None:
    op.drop_table("expressed_interests")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
