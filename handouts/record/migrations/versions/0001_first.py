"""The first ledger: records, the texts each carried, and the files they were made from.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "filesets", sa.Column("id", sa.String(64), primary_key=True), sa.Column("files", sa.JSON, nullable=False)
    )
    op.create_table(
        "blobs", sa.Column("id", sa.String(64), primary_key=True), sa.Column("data", sa.LargeBinary, nullable=False)
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("how", sa.String(16), nullable=False),
        sa.Column("visit", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("surgeon", sa.String(64)),
        sa.Column("patient", sa.String(200), nullable=False),
        sa.Column("patient_id", sa.String(100)),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("software", sa.String(32), nullable=False),
        sa.Column("content", sa.String(16), nullable=False),
        sa.Column("fileset", sa.String(64), sa.ForeignKey("filesets.id"), nullable=False),
    )
    op.create_index("ix_records_created_at", "records", ["created_at"])
    op.create_index("ix_records_patient_id", "records", ["patient_id"])
    op.create_table(
        "record_units",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("unit", sa.String(80), primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
    )
    op.create_index("ix_record_units_unit_version", "record_units", ["unit", "version"])


def downgrade() -> None:
    op.drop_table("record_units")
    op.drop_table("records")
    op.drop_table("blobs")
    op.drop_table("filesets")
