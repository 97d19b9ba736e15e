from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from app.extensions import db
from app.migrate import alembic_config


def test_migrations_and_models_agree(app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        heads = ScriptDirectory.from_config(alembic_config(app)).get_heads()
        assert context.get_current_heads() == tuple(heads)
        assert len(heads) == 1
