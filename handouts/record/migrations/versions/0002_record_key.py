"""Each record's key, made when its handout was given: a record that waited in the spool (the
ledger was down) is added once, however often the move is tried. And an index on sha256, for a
batch run again to find the handouts of its manifest that the ledger lacks.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as table:
        table.add_column(sa.Column("key", sa.String(64)))
    op.create_index("ix_records_key", "records", ["key"], unique=True)
    op.create_index("ix_records_sha256", "records", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_records_sha256", "records")
    op.drop_index("ix_records_key", "records")
    with op.batch_alter_table("records") as table:
        table.drop_column("key")
