"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`.

A service that cannot start says why in one line and exits 2: a bad setting names the variable,
a missing module names the module and how to install it. (Left to Flask, a failed import prints a
traceback followed by a misleading "No such command".)"""
from __future__ import annotations

import sys

from dotenv import load_dotenv

load_dotenv()  # the environment wins over .env


def _cannot_start(reason: str) -> SystemExit:
    print(f"tessera: {reason}", file=sys.stderr)
    return SystemExit(2)


try:
    from app import create_app
    from config import ConfigError

    app = create_app()
except ModuleNotFoundError as exc:
    raise _cannot_start(
        f"cannot start: the Python module {exc.name!r} is missing; install the project's dependencies "
        f"with `{sys.executable} -m pip install -e .` (or `make run`)"
    ) from None
except ImportError as exc:
    raise _cannot_start(f"cannot start: an import failed: {exc}") from None
except ConfigError as exc:
    raise _cannot_start(f"configuration error: {exc}") from None
