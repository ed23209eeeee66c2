"""Who is making a request, as chat-ext sees it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["admin", "user"]


@dataclass(frozen=True, slots=True)
class Identity:
    """A row of the users table, resolved from Jupyter Server's authenticated user."""

    id: str
    username: str
    name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# Turns jupyter_server's User object into an Identity (recording the user on first sight).
Identify = Callable[[Any], Awaitable[Identity]]
