"""Bearer-key authentication and roles for the API."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g, request

from app.errors import ApiError
from app.extensions import db
from app.models import Merchant
from app.security import find_api_key, touch_api_key

P = ParamSpec("P")
R = TypeVar("R")
PUBLIC_ENDPOINTS = {"api.openapi_document"}


def authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiError(401, "unauthorized", "send your API key as 'Authorization: Bearer <key>'")
    key = find_api_key(presented.strip())
    if key is None:
        raise ApiError(401, "unauthorized", "the API key is unknown or revoked")
    if touch_api_key(key):
        db.session.commit()  # on its own: a read-only request commits nothing else
    g.api_key = key
    g.merchant = db.session.get(Merchant, key.merchant_id)


def owner_only(view: Callable[P, R]) -> Callable[P, R]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if g.api_key.role != "owner":
            raise ApiError(403, "forbidden", "this needs an owner key; cashier keys serve the till only")
        return view(*args, **kwargs)

    return wrapper
