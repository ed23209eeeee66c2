from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from ..core.schemas import StrictModel, one_line


class KeyCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100, description="What the key is for")
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        strict=True,
        description="Days the key works for; none: until it is revoked",
    )

    _name = field_validator("name")(one_line)


class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it by")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Approximate: recorded at most once a minute")
    expires_at: datetime | None = Field(description="When the key stops working; none: never")


class KeyCreated(KeyOut):
    key: str = Field(description="The key itself: shown this once, never again")


class KeyList(BaseModel):
    items: list[KeyOut]


class OwnedKeyOut(KeyOut):
    owner: str = Field(description="The username of the key's owner")


class OwnedKeyList(BaseModel):
    items: list[OwnedKeyOut]
