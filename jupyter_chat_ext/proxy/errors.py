"""Failures as the two wire formats report them: one status, message, code and parameter."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import ApiError
from ..providers.base import UpstreamError


class ProxyError(ApiError):
    """Bad input to a compatible API; ``param`` names the offending field, as OpenAI does."""

    def __init__(
        self, message: str, *, status: int = 400, code: str | None = None, param: str | None = None
    ):
        super().__init__(message, status=status, code=code or "invalid_request")
        self.param = param


@dataclass(frozen=True, slots=True)
class Failure:
    status: int
    message: str
    code: str | None = None
    param: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    """Sent with the error response (an upstream's ``Retry-After``)."""

    @property
    def openai_type(self) -> str:
        if self.status == 401:
            return "authentication_error"
        if self.status == 403:
            return "permission_error"
        if self.status == 429:
            return "rate_limit_error"
        if self.status in (502, 504):
            return "upstream_error"
        return "server_error" if self.status >= 500 else "invalid_request_error"


def failure(error: Exception, admin: bool) -> Failure:
    """The failure a caller is told of; only an ``admin`` learns where an upstream is."""
    if isinstance(error, UpstreamError):
        if error.kind == "http" and error.status:
            # The upstream's own status, so clients retry (429, 503) or not as it asked.
            status = error.status
        else:
            status = 504 if error.kind == "timeout" else 502
        said = error.said
        if said is not None:
            # As the upstream said it: clients act on codes such as context_length_exceeded.
            code = said.code or "upstream_http"
            return Failure(status, said.message, code, said.param, error.retry)
        return Failure(status, error.told_to(admin), f"upstream_{error.kind}", None, error.retry)
    if isinstance(error, ApiError):
        return Failure(error.status, error.message, error.code, getattr(error, "param", None))
    raise TypeError(f"not a request failure: {error!r}")
