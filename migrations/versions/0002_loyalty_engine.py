"""loyalty engine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:43:15.556266
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('events', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_webhook_endpoints_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('multiplier', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_campaigns_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_program_id'), ['program_id'], unique=False)

    op.create_table('rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=True),
    sa.Column('min_tier', sa.String(length=40), nullable=True),
    sa.Column('valid_days', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_rewards_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rewards'))
    )
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rewards_program_id'), ['program_id'], unique=False)

    op.create_table('reward_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'], name=op.f('fk_reward_codes_ledger_entry_id_ledger_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_reward_codes_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reward_id'], ['rewards.id'], name=op.f('fk_reward_codes_reward_id_rewards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_reward_codes_code'))
    )
    with op.batch_alter_table('reward_codes', schema=None) as batch_op:
        batch_op.create_index('ix_reward_codes_member_id', ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reward_codes_reward_id'), ['reward_id'], unique=False)

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True))

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_rewarded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('tier', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('tier_locked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('tier_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('message', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('message_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_members_last_activity_at'), ['last_activity_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endpoint_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_endpoint_id_webhook_endpoints'), 'webhook_endpoints', ['endpoint_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default=sa.text("'points'")))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default=sa.text("'EUR'")))
        batch_op.add_column(sa.Column('earn_rate', sa.Numeric(precision=10, scale=4), nullable=False, server_default=sa.text("'1'")))
        batch_op.add_column(sa.Column('rounding', sa.String(length=8), nullable=False, server_default=sa.text("'down'")))
        batch_op.add_column(sa.Column('welcome_bonus', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('birthday_bonus', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('tier_basis', sa.String(length=8), nullable=False, server_default=sa.text("'lifetime'")))
        batch_op.add_column(sa.Column('tier_window_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('downgrade_policy', sa.String(length=10), nullable=False, server_default=sa.text("'never'")))
        batch_op.add_column(sa.Column('downgrade_grace_days', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('stamps_required', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stamp_reward', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('expiry_policy', sa.String(length=12), nullable=False, server_default=sa.text("'never'")))
        batch_op.add_column(sa.Column('expiry_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('expiry_date', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('expiry_warning_days', sa.Integer(), nullable=False, server_default=sa.text("'30'")))
        batch_op.add_column(sa.Column('referrer_bonus', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('referee_bonus', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('referral_monthly_limit', sa.Integer(), nullable=False, server_default=sa.text("'10'")))

    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('multiplier', sa.Numeric(precision=5, scale=2), nullable=False, server_default=sa.text("'1'")))
        batch_op.add_column(sa.Column('background_color', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('foreground_color', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('label_color', sa.String(length=7), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.drop_column('label_color')
        batch_op.drop_column('foreground_color')
        batch_op.drop_column('background_color')
        batch_op.drop_column('multiplier')

    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('referral_monthly_limit')
        batch_op.drop_column('referee_bonus')
        batch_op.drop_column('referrer_bonus')
        batch_op.drop_column('expiry_warning_days')
        batch_op.drop_column('expiry_date')
        batch_op.drop_column('expiry_days')
        batch_op.drop_column('expiry_policy')
        batch_op.drop_column('stamp_reward')
        batch_op.drop_column('stamps_required')
        batch_op.drop_column('downgrade_grace_days')
        batch_op.drop_column('downgrade_policy')
        batch_op.drop_column('tier_window_days')
        batch_op.drop_column('tier_basis')
        batch_op.drop_column('birthday_bonus')
        batch_op.drop_column('welcome_bonus')
        batch_op.drop_column('rounding')
        batch_op.drop_column('earn_rate')
        batch_op.drop_column('currency')
        batch_op.drop_column('kind')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_endpoint_id_webhook_endpoints'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_endpoint_id'))
        batch_op.drop_column('payload')
        batch_op.drop_column('endpoint_id')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_last_activity_at'))
        batch_op.drop_column('erased_at')
        batch_op.drop_column('message_at')
        batch_op.drop_column('message')
        batch_op.drop_column('last_activity_at')
        batch_op.drop_column('tier_changed_at')
        batch_op.drop_column('tier_locked')
        batch_op.drop_column('tier')
        batch_op.drop_column('referral_rewarded_at')

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_column('amount')

    with op.batch_alter_table('reward_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_codes_reward_id'))
        batch_op.drop_index('ix_reward_codes_member_id')

    op.drop_table('reward_codes')
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rewards_program_id'))

    op.drop_table('rewards')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_program_id'))

    op.drop_table('campaigns')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_merchant_id'))

    op.drop_table('webhook_endpoints')
