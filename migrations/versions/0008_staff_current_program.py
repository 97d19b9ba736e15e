"""staff current program: the program a login chose last, which the dashboard's navigation follows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 01:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_program_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_users_current_program_id_programs'), 'programs',
                                    ['current_program_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_users_current_program_id_programs'), type_='foreignkey')
        batch_op.drop_column('current_program_id')
