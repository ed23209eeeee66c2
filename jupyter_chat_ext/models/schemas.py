from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ModelOut(BaseModel):
    id: str = Field(description="What to pass as `model`: the connection's prefix + upstream id")
    name: str
    owned_by: str
    connection_id: str
    connection_name: str
    kind: Literal["openai", "ollama"]


class ModelList(BaseModel):
    items: list[ModelOut]
    errors: dict[str, str] = Field(
        default_factory=dict, description="Connections that could not be listed: name -> error"
    )
