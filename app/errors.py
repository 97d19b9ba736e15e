"""One place that turns exceptions into answers: JSON under /api/ and /passkit/, HTML elsewhere."""
from __future__ import annotations

import logging
import re

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from app.extensions import db
from passes.apple.pkpass import InvalidPass
from app.loyalty.errors import Conflict, InsufficientPoints, InvalidValue, LoyaltyError, NotFound

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/passkit/")


class ApiError(Exception):
    """An HTTP-level refusal raised by the API layer itself (auth, roles, malformed bodies)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


DOMAIN_STATUS: list[tuple[type[LoyaltyError], int]] = [
    (InsufficientPoints, 409),
    (Conflict, 409),
    (NotFound, 404),
    (InvalidValue, 422),
]


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def error_response(status: int, code: str, message: str) -> Response:
    if _wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        html = render_template("errors/error.html", status=status, message=message)
        response = Response(html, mimetype="text/html")
    response.status_code = status
    return response


def _on_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = {
        404: "Nothing was found at this address.",
        405: f"The method {request.method} is not allowed here.",
        413: "The request body is too large.",
    }.get(status, exc.description or exc.name)
    response = error_response(status, _snake(exc.name), message)
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _on_api(exc: ApiError) -> Response:
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message)


def _on_domain(exc: LoyaltyError) -> Response:
    db.session.rollback()
    status = next((s for cls, s in DOMAIN_STATUS if isinstance(exc, cls)), 422)
    return error_response(status, exc.code, exc.message)


def _on_invalid_pass(exc: InvalidPass) -> Response:
    """A card whose pass would not open on a phone is never served; say so instead of a 500."""
    db.session.rollback()
    log.error("refused to serve an invalid pass for %s: %s", request.path, "; ".join(exc.errors))
    response = error_response(503, "pass_unavailable",
                              "This card cannot be issued as it stands; the shop has been told. Try again later.")
    response.headers["Retry-After"] = "3600"
    return response


def _on_unexpected(exc: Exception) -> Response:
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Something went wrong on our side; nothing was changed.")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _on_http)
    app.register_error_handler(ApiError, _on_api)
    app.register_error_handler(LoyaltyError, _on_domain)
    app.register_error_handler(InvalidPass, _on_invalid_pass)
    if not app.config.get("PROPAGATE_EXCEPTIONS_IN_TESTS"):
        app.register_error_handler(Exception, _on_unexpected)
