"""The merchant REST API (`/api/v1`)."""
from __future__ import annotations

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer keys, not cookies: no cross-site request can carry them

from app.api import auth, members, openapi, programs  # noqa: E402,F401
from app.api import campaigns  # noqa: E402,F401
from app.api import rewards  # noqa: E402,F401
from app.api import segments, stats  # noqa: E402,F401
from app.api import privacy, webhooks  # noqa: E402,F401

bp.before_request(auth.authenticate)
