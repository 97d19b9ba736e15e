"""Domain errors. They carry a stable snake_case code and a sentence, never an HTTP status."""
from __future__ import annotations


class LoyaltyError(Exception):
    code = "loyalty_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidValue(LoyaltyError):
    code = "invalid_value"


class InvalidAmount(InvalidValue):
    code = "invalid_amount"


class InsufficientPoints(LoyaltyError):
    code = "insufficient_points"


class Conflict(LoyaltyError):
    code = "conflict"


class MemberExists(Conflict):
    code = "member_exists"


class SlugTaken(Conflict):
    code = "slug_taken"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class NotFound(LoyaltyError):
    code = "not_found"
