from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from ..core.schemas import ModelId, StrictModel, one_line
from ..models.schemas import Params

Visibility = Literal["private", "public"]
Capability = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
PresetId = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$", description="The model id to use")


def _distinct(capabilities: list[str] | None) -> list[str] | None:
    if capabilities is not None and len(set(capabilities)) < len(capabilities):
        raise ValueError("names a capability twice")
    return capabilities


class PresetCreate(StrictModel):
    id: str = PresetId
    name: str = Field(min_length=1, max_length=255)
    base_model: ModelId
    description: str = Field(default="", max_length=2000)
    system_prompt: str = Field(default="", max_length=100_000)
    params: Params = Field(default_factory=Params)
    capabilities: list[Capability] = Field(default_factory=list, max_length=20)
    visibility: Visibility = "private"

    _name = field_validator("name")(one_line)
    _capabilities = field_validator("capabilities")(_distinct)


class PresetUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    base_model: ModelId | None = None
    description: str | None = Field(default=None, max_length=2000)
    system_prompt: str | None = Field(default=None, max_length=100_000)
    params: Params | None = None
    capabilities: list[Capability] | None = Field(default=None, max_length=20)
    visibility: Visibility | None = None

    _name = field_validator("name")(one_line)
    _capabilities = field_validator("capabilities")(_distinct)


class PresetOut(BaseModel):
    id: str
    name: str
    base_model: str
    description: str
    system_prompt: str
    params: dict
    capabilities: list[str]
    visibility: Visibility
    mine: bool = Field(description="Whether the current user made it")
    created_at: datetime
    updated_at: datetime


class PresetList(BaseModel):
    items: list[PresetOut]
