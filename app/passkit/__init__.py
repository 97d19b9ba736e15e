"""Apple's PassKit web service (`webServiceURL` = PUBLIC_URL/passkit), exactly as Wallet calls it."""
from __future__ import annotations

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("passkit", __name__)
csrf.exempt(bp)  # Wallet authenticates with per-pass tokens, never cookies

from app.passkit import views  # noqa: E402,F401
