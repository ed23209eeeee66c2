from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ..core.schemas import StrictModel

Kind = Literal["openai", "ollama"]


def _check_url(value: str | None) -> str | None:
    if value is None:
        return value
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")) or len(value) < 10:
        raise ValueError("must be an http:// or https:// URL")
    return value


class ConnectionCreate(StrictModel):
    kind: Kind
    base_url: str = Field(
        max_length=2000, description="e.g. https://api.openai.com/v1 or http://localhost:11434"
    )
    name: str = Field(default="", max_length=255)
    api_key: str = Field(default="", max_length=4000)
    prefix: str = Field(
        default="", max_length=100, description="Prepended to this connection's model ids"
    )
    model_ids: list[str] = Field(default_factory=list, description="Only these models (empty: all)")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers sent upstream")
    enabled: bool = True

    _url = field_validator("base_url")(_check_url)


class ConnectionUpdate(StrictModel):
    """Change any field; an omitted ``api_key`` keeps the stored one, ``""`` removes it."""

    base_url: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=255)
    api_key: str | None = Field(default=None, max_length=4000)
    prefix: str | None = Field(default=None, max_length=100)
    model_ids: list[str] | None = None
    headers: dict[str, str] | None = None
    enabled: bool | None = None

    _url = field_validator("base_url")(_check_url)


class ConnectionOut(BaseModel):
    id: str
    kind: Literal["openai", "ollama", "local"]
    name: str
    base_url: str = Field(description="For a local model: its Hugging Face id or folder")
    api_key: str = Field(description="Masked: never the key itself")
    prefix: str
    model_ids: list[str]
    headers: dict[str, str] = Field(description="Header names with masked values")
    enabled: bool
    origin: Literal["config", "env", "api"]
    created_at: datetime
    updated_at: datetime


class ConnectionList(BaseModel):
    items: list[ConnectionOut]


class VerifyResult(BaseModel):
    ok: bool
    latency_ms: float
    model_count: int | None = Field(
        default=None, description="The models chats can use: those of the allowlist, if any"
    )
    missing: list[str] = Field(
        default_factory=list, description="Allowlisted model ids the server does not list"
    )
    status: int | None = Field(default=None, description="The upstream's HTTP status on failure")
    error: str | None = Field(default=None, description="The upstream's own error")
