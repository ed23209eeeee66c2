from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class UserOut(BaseModel):
    id: str
    username: str
    name: str
    role: Literal["admin", "user"]
