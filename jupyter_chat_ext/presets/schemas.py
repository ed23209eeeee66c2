from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..core.schemas import StrictModel
from ..models.schemas import Params

Visibility = Literal["private", "public"]
Capability = Annotated[str, Field(min_length=1, max_length=50)]
PresetId = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$", description="The model id to use")


class PresetCreate(StrictModel):
    id: str = PresetId
    name: str = Field(min_length=1, max_length=255)
    base_model: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=2000)
    system_prompt: str = Field(default="", max_length=100_000)
    params: Params = Field(default_factory=Params)
    capabilities: list[Capability] = Field(default_factory=list, max_length=20)
    visibility: Visibility = "private"


class PresetUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    base_model: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=2000)
    system_prompt: str | None = Field(default=None, max_length=100_000)
    params: Params | None = None
    capabilities: list[Capability] | None = Field(default=None, max_length=20)
    visibility: Visibility | None = None


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
