from __future__ import annotations

import unicodedata
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from ..core.schemas import StrictModel


class KeyCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100, description="What the key is for")

    @field_validator("name")
    @classmethod
    def _one_line(cls, name: str) -> str:
        # A name is a label in a list: line breaks and other control characters garble it.
        if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
            raise ValueError("must be one line of text, without control characters")
        return name


class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it by")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Approximate: recorded at most once a minute")


class KeyCreated(KeyOut):
    key: str = Field(description="The key itself: shown this once, never again")


class KeyList(BaseModel):
    items: list[KeyOut]
