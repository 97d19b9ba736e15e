"""Alembic environment: the URL and metadata come from the Flask app."""
from __future__ import annotations

from alembic import context
from flask import Flask

from app.extensions import db


def _app() -> Flask:
    app = context.config.attributes.get("flask_app")
    if app is None:  # plain `alembic` on the command line
        from app import create_app

        app = create_app()
    return app


def run_migrations_online() -> None:
    app = _app()
    with app.app_context():
        with db.engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=db.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()


run_migrations_online()
