"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""
from __future__ import annotations

import sys

from dotenv import load_dotenv

load_dotenv()  # the environment wins over .env

from app import create_app  # noqa: E402
from config import ConfigError  # noqa: E402

try:
    app = create_app()
except ConfigError as exc:
    print(f"tessera: configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
