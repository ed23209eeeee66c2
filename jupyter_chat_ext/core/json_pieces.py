"""A response model as JSON in pieces, so that a large one is sent as it is made.

A model names its long list in ``streamed_field`` (a chat's messages, an export's chats); that
list is written an item at a time, and an item that names one of its own is split the same way.
The pieces joined are the same bytes as pydantic's ``to_json`` of the whole when the field is
the model's last. Made whole, a 30 MB chat was one 30 MB string, made before its first byte
could be sent and copied again behind the response's headers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json


def json_ends(model: BaseModel) -> tuple[bytes, bytes]:
    """What comes before the model's streamed list's items, and what after."""
    field: str = type(model).streamed_field  # type: ignore[attr-defined]
    head = model.__pydantic_serializer__.to_json(model, exclude={field})
    key = json.dumps(field).encode()
    return head[:-1] + (b"," if head != b"{}" else b"") + key + b":[", b"]}"


def json_pieces(model: Any) -> Iterator[bytes]:
    if not isinstance(model, BaseModel):
        yield to_json(model)
        return
    if not _splits(model):
        yield model.__pydantic_serializer__.to_json(model)
        return
    field: str = type(model).streamed_field  # type: ignore[attr-defined]
    opening, closing = json_ends(model)
    yield opening
    for n, item in enumerate(getattr(model, field)):
        if n:
            yield b","
        yield from json_pieces(item)
    yield closing


# A list shorter than this is made in one piece (one call, not one per item), unless an item
# of it splits: ten thousand chats of ten messages are as many pieces, not a hundred thousand.
_SPLIT_FROM = 32


def _splits(model: BaseModel) -> bool:
    field: str | None = getattr(type(model), "streamed_field", None)
    if field is None:
        return False
    items = getattr(model, field)
    return len(items) >= _SPLIT_FROM or any(isinstance(i, BaseModel) and _splits(i) for i in items)
