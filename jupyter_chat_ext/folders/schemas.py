from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..core.schemas import StrictModel

FolderName = Field(min_length=1, max_length=255)


class FolderCreate(StrictModel):
    name: str = FolderName
    parent_id: str | None = None


class FolderUpdate(StrictModel):
    """Rename and/or move; ``parent_id: null`` moves the folder to the top level."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    parent_id: str | None = None


class FolderOut(BaseModel):
    id: str
    name: str
    parent_id: str | None
    created_at: datetime
    updated_at: datetime


class FolderList(BaseModel):
    items: list[FolderOut]
