"""Errors the service layer raises; handlers turn them into one JSON error shape."""

from __future__ import annotations


class ApiError(Exception):
    """An error a person can act on, with an HTTP status and a stable machine code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class ValidationFailed(ApiError):
    status = 422
    code = "invalid"


class NotFound(ApiError):
    """Also raised for objects that exist but belong to someone else, so the two look alike."""

    status = 404
    code = "not_found"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    code = "too_large"
