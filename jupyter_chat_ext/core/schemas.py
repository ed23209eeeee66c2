"""Pydantic building blocks shared by every resource."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# A model's id as a server names it; a blank one names no model there could ever be.
ModelId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class StrictModel(BaseModel):
    """A request body or query: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def one_line(text: str | None) -> str | None:
    """A label shown in a list: line breaks and other control characters would garble it."""
    if text is not None and any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text):
        raise ValueError("must be one line of text, without control characters")
    return text


class ErrorBody(BaseModel):
    """Every error response, REST and proxy alike, has this shape."""

    message: str
    reason: str | None = None
    code: str
