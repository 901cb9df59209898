"""The front desk's list of the day and what the desk did on each row, in the practice's record: every
desk and every server of a practice sees one list, and a restart of the page loses nothing.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "days",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("dates", sa.String(8)),
        sa.Column("separator", sa.Boolean, nullable=False),
        sa.Column("notice", sa.Text, nullable=False),
    )
    op.create_index("ix_days_loaded_at", "days", ["loaded_at"])
    op.create_table(
        "day_rows",
        sa.Column("day_id", sa.String(32), sa.ForeignKey("days.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("line", sa.Integer, primary_key=True),
        sa.Column("fix", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(8)),
        sa.Column("message", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("day_rows")
    op.drop_index("ix_days_loaded_at", "days")
    op.drop_table("days")
