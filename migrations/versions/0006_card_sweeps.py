"""card sweeps: a change every card of a program shows records how far its cards were changed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('card_sweeps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('through_id', sa.BigInteger(), nullable=False),
    sa.Column('cards', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_card_sweeps_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_sweeps'))
    )
    with op.batch_alter_table('card_sweeps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_sweeps_program_id'), ['program_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('card_sweeps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_sweeps_program_id'))
    op.drop_table('card_sweeps')
