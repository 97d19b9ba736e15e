"""idempotency scopes: API clients' keys are stored behind `api:`, apart from the product's own
keys (welcome, referral, birthday, expiry) and the till's; the column grows by the prefix

Rows an API client wrote are the earns, redemptions and reward redemptions whose key is not a
till form's (`till-` and 32 hex digits): the product's own keys are only ever on bonus and
expire rows. Those client rows get the prefix, so a retry of a key sent before the upgrade
still finds its row, and a client key that squatted one of the product's keys stops blocking it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 02:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

UNIQUE = 'uq_ledger_entries_merchant_id_idempotency_key'
CLIENT_ROWS = ("idempotency_key IS NOT NULL AND kind IN ('earn', 'redeem', 'reward') "
               "AND NOT (idempotency_key LIKE 'till-%' AND length(idempotency_key) = 37)")


def _resize(before: int, after: int) -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=before),
                              type_=sa.String(length=after), existing_nullable=True)


def _without_unique(statement: str) -> None:
    """Runs `statement` with the unique constraint lifted: PostgreSQL checks it row by row, and
    `x` becoming `api:x` while `api:x` becomes `api:api:x` is only unique at the end."""
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_='unique')
    op.execute(statement)
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_unique_constraint(UNIQUE, ['merchant_id', 'idempotency_key'])


def upgrade() -> None:
    _resize(100, 104)  # a client key of the API's 100 characters, behind its prefix
    _without_unique(f"UPDATE ledger_entries SET idempotency_key = 'api:' || idempotency_key WHERE {CLIENT_ROWS}")


def downgrade() -> None:
    # A client key that squatted one of the product's keys keeps its prefix: both rows stay.
    _without_unique(
        "UPDATE ledger_entries SET idempotency_key = substr(idempotency_key, 5) "
        "WHERE idempotency_key LIKE 'api:%' AND NOT EXISTS (SELECT 1 FROM ledger_entries AS other "
        "WHERE other.merchant_id = ledger_entries.merchant_id "
        "AND other.idempotency_key = substr(ledger_entries.idempotency_key, 5))")
    _resize(104, 100)
