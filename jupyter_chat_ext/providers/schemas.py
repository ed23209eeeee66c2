from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool, field_validator

from ..core.schemas import ModelId, StrictModel, one_line
from .urls import check_url, trimmed

Kind = Literal["openai", "ollama"]
_MAX_MODEL_IDS = 1000


def _check_url(value: str | None) -> str | None:
    if value is None:
        return value
    value = trimmed(value)
    problem = check_url(value)
    if problem:
        raise ValueError(problem)
    return value


def _trim_url(value: str | None) -> str | None:
    # A local connection's "URL" is its model: the service checks what a change may be.
    return None if value is None else trimmed(value)


def _check_key(value: str | None) -> str | None:
    # Sent in a header at every request: refused once here, not by every request after.
    if value is not None and not _carriable(value.strip()):
        raise ValueError("has characters a header cannot carry (the key is sent in one)")
    return value


def _check_prefix(value: str | None) -> str | None:
    # Model ids start with it, typed in chats, magics and clients' settings.
    if value is not None and any(c.isspace() or ord(c) < 0x20 for c in value.strip()):
        raise ValueError("must not hold spaces or control characters")
    return value


# An HTTP header's name (RFC 9110's token), and the headers the server writes itself.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SET_BY_SERVER = {"host", "content-length", "content-type", "transfer-encoding", "connection"}
_MAX_HEADERS = 50
_MAX_HEADER_NAME = 256
_MAX_HEADER_VALUE = 8192


def _check_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """Headers a request can carry as given: refused by name here rather than failing (or
    being dropped, or sent twice) at every request."""
    if headers is None:
        return headers
    if len(headers) > _MAX_HEADERS:
        raise ValueError(f"at most {_MAX_HEADERS} headers")
    seen: set[str] = set()
    for name, value in headers.items():
        lower = name.lower()
        if len(name) > _MAX_HEADER_NAME:
            raise ValueError(f"a header name is longer than {_MAX_HEADER_NAME}")
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"{name!r} is not a header name")
        if lower in _SET_BY_SERVER:
            raise ValueError(f"{name!r} is set by the server itself")
        if lower in seen:
            raise ValueError(f"{name!r} is given twice (header names ignore case)")
        seen.add(lower)
        if len(value) > _MAX_HEADER_VALUE:
            raise ValueError(f"the value of {name!r} is longer than {_MAX_HEADER_VALUE}")
        if not _carriable(value):
            raise ValueError(f"the value of {name!r} has characters a header cannot carry")
    return headers


def _carriable(value: str) -> bool:
    """Whether a header can carry the value as it is: Latin-1, no line breaks or other
    control characters but the tab."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value)


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
    model_ids: list[ModelId] = Field(
        default_factory=list,
        max_length=_MAX_MODEL_IDS,
        description="Only these models (empty: all)",
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers sent upstream")
    enabled: StrictBool = True

    _url = field_validator("base_url")(_check_url)
    _headers = field_validator("headers")(_check_headers)
    _key = field_validator("api_key")(_check_key)
    _prefix = field_validator("prefix")(_check_prefix)
    _name = field_validator("name")(one_line)


class ConnectionUpdate(StrictModel):
    """Change any field; an omitted ``api_key`` keeps the stored one, ``""`` removes it (no
    field takes null)."""

    base_url: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=255)
    api_key: str | None = Field(default=None, max_length=4000)
    prefix: str | None = Field(default=None, max_length=100)
    model_ids: list[ModelId] | None = Field(default=None, max_length=_MAX_MODEL_IDS)
    headers: dict[str, str] | None = None
    enabled: StrictBool | None = None

    _url = field_validator("base_url")(_trim_url)
    _headers = field_validator("headers")(_check_headers)
    _key = field_validator("api_key")(_check_key)
    _prefix = field_validator("prefix")(_check_prefix)
    _name = field_validator("name")(one_line)


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
