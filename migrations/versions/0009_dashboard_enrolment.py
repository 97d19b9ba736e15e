"""dashboard enrolment: members enrolled at the till (phone only allowed), consent recorded by a
staff login, and members CSV imports uploaded from the dashboard

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 01:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('mail_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mailed', sa.Integer(), nullable=False),
    sa.Column('mail_failed', sa.Integer(), nullable=False),
    sa.Column('mail_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_member_imports_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_users.id'], name=op.f('fk_member_imports_uploaded_by_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_imports'))
    )
    with op.batch_alter_table('member_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_imports_program_id'), ['program_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column('enrolment_key', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('import_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_members_enrolment_key'), ['enrolment_key'])
        batch_op.create_index(batch_op.f('ix_members_import_id'), ['import_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_members_import_id_member_imports'), 'member_imports', ['import_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by_staff_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_consent_events_recorded_by_staff_id_staff_users'), 'staff_users', ['recorded_by_staff_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consent_events_recorded_by_staff_id_staff_users'), type_='foreignkey')
        batch_op.drop_column('recorded_by_staff_id')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_members_import_id_member_imports'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_members_import_id'))
        batch_op.drop_constraint(batch_op.f('uq_members_enrolment_key'), type_='unique')
        batch_op.drop_column('import_id')
        batch_op.drop_column('enrolment_key')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)

    with op.batch_alter_table('member_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_imports_program_id'))
    op.drop_table('member_imports')
