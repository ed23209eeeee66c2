"""Pydantic building blocks shared by every resource."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A request body or query: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ErrorBody(BaseModel):
    """Every error response, REST and proxy alike, has this shape."""

    message: str
    reason: str | None = None
    code: str
