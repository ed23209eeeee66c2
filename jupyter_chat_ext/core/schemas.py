"""Pydantic building blocks shared by every resource."""

from __future__ import annotations

import unicodedata

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A request body or query: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def one_line(text: str) -> str:
    """A label shown in a list: line breaks and other control characters would garble it."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text):
        raise ValueError("must be one line of text, without control characters")
    return text


class ErrorBody(BaseModel):
    """Every error response, REST and proxy alike, has this shape."""

    message: str
    reason: str | None = None
    code: str
