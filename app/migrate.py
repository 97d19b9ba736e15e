"""Alembic, driven from the app: `init-db` and the test suite migrate through here."""
from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask

from config import ROOT


def alembic_config(app: Flask) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["flask_app"] = app
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)
