"""The customer's side of a QR code: `/join/<slug>`, the form, the card links and their e-mail."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("enrollment", __name__)


def init_app(app: Flask) -> None:
    """Translations and the per-address rate limit; both serve the join pages first of all."""
    from app.enrollment.i18n import babel, select_locale, select_timezone
    from app.enrollment.limits import limiter

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)


from app.enrollment import views  # noqa: F401  (routes register themselves on bp)
