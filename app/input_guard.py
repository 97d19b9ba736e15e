"""Hostile input refused at the door with a 4xx, never a 500 from deeper down.

- Path ids past the database's integer range are 404, by the `int` URL converter itself.
- NUL and lone surrogates (half a UTF-16 pair: valid in JSON's \\u escapes, not in UTF-8) fit in
  no PostgreSQL text column: in a path they are 404, in a query 400, in a form a message beside
  the field, in an API body 422 naming the field.
- JSON nested past `MAX_JSON_DEPTH` is refused before anything walks it recursively.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter, IntegerConverter, Map

INT32_MAX = 2**31 - 1  # every id in a URL is an INTEGER primary key (app/models)
INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 64
UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "contains a character that cannot be stored (a NUL or a lone surrogate)"


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to a signed 32-bit column (`<int(max=9223372036854775807):...>` for a
    BIGINT one): a larger number is a 404 like any unknown id, and never reaches the database,
    which would refuse it. NotFound, not a mere mismatch: werkzeug would answer a mismatch with a
    405 whenever another method's route has the same shape."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = INT32_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> Any:
        # Compared by length first: int() refuses strings of thousands of digits.
        past_range = len(value.lstrip("0")) > len(str(self.max)) or int(value) > self.max if self.max else False
        if past_range and not value.startswith("-"):
            raise NotFound()
        return super().to_python(value)


class JsonRefused(ValueError):
    """A JSON body that cannot be taken: `status` 400 (malformed, too deep) or 422 (unstorable
    text), `where` the field's dotted path."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message



def unstorable(text: str) -> bool:
    return UNSTORABLE_RE.search(text) is not None


def parse_json(raw: bytes | str) -> Any:
    """The parsed body; JsonRefused when it is malformed, nested too deeply or carries text no
    column can store. Python's parser recurses, so depth is also bounded by RecursionError."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise JsonRefused(400, f"the body is nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    except (ValueError, UnicodeDecodeError):
        raise JsonRefused(400, "the body is not valid JSON") from None
    _check_tree(data)
    return data


def _check_tree(data: Any) -> None:
    """Depth and text of every value and key, walked with a stack (never recursion)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise JsonRefused(400, f"the body is nested too deeply (at most {MAX_JSON_DEPTH} levels)")
        if isinstance(value, str) and unstorable(value):
            raise JsonRefused(422, f"{where or 'body'} {UNSTORABLE_MESSAGE}")
        if isinstance(value, dict):
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                if unstorable(key):
                    raise JsonRefused(422, f"a field name {UNSTORABLE_MESSAGE}")
                stack.append((item, path, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}.{n}" if where else str(n), depth + 1) for n, item in enumerate(value))


def scrub(text: str) -> str:
    """Text kept as received but storable: each NUL or lone surrogate becomes U+FFFD."""
    return UNSTORABLE_RE.sub("\ufffd", text)


class CleanForm(FlaskForm):
    """A form whose text fields refuse NUL and lone surrogates beside the field, before any
    validator (some look values up in the database) sees them."""

    def validate(self, extra_validators: Any = None) -> bool:
        refused = [field for field in self if isinstance(field.data, str) and unstorable(field.data)]
        for field in refused:
            field.errors = [_l("This contains a character that is not allowed (such as a NUL).")]
        if refused:
            return False
        return bool(super().validate(extra_validators))


def _refuse_unstorable_in_url() -> None:
    if any(isinstance(v, str) and unstorable(v) for v in (request.view_args or {}).values()):
        abort(404)  # nothing is stored under such a name
    if any(unstorable(k) or unstorable(v) for k, v in request.args.items(multi=True)):
        abort(400, description="The query contains a character that is not allowed (such as a NUL).")


def init_app(app: Flask) -> None:
    """Before any blueprint: the converter must be in place when the routes are added."""
    converters: dict[str, type[BaseConverter]] = {"int": IdConverter}
    app.url_map.converters.update(converters)
    app.before_request(_refuse_unstorable_in_url)
