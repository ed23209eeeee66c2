"""Maps Jupyter Server's authenticated user to a chat-ext user and role."""

from __future__ import annotations

import getpass
from typing import Any

from ..core.identity import Identity
from .store import UserStore


class UserService:
    """Resolves identities, remembering them per process so a request costs no query.

    ``shared_identity``: everyone the server authenticates is the one owner of the server
    (Jupyter Server's own token and password logins make a new anonymous user per browser, so
    keying data by them would scatter one person's chats). ``admin_users`` are usernames with
    the admin role; JupyterHub's admins are admins too, and so is the server's owner unless
    ``owner_is_admin`` is off.
    """

    def __init__(
        self,
        store: UserStore,
        *,
        shared_identity: bool,
        admin_users: set[str],
        owner: str | None = None,
        owner_is_admin: bool = True,
    ):
        self.store = store
        self.shared_identity = shared_identity
        self.admin_users = admin_users
        self.owner = owner or getpass.getuser()
        self.owner_is_admin = owner_is_admin
        self._known: dict[tuple[str, str, str], Identity] = {}

    def describe(self, user: Any) -> tuple[str, str, str]:
        """(username, display name, role) for a jupyter_server User."""
        if self.shared_identity:
            return self.owner, self.owner, "admin"
        username = user.username
        name = getattr(user, "display_name", None) or getattr(user, "name", None) or username
        hub_user = getattr(user, "hub_user", None) or {}
        admin = (
            username in self.admin_users
            or bool(hub_user.get("admin"))
            or (self.owner_is_admin and username == self.owner)
        )
        return username, name, "admin" if admin else "user"

    async def identify(self, user: Any) -> Identity:
        key = self.describe(user)
        known = self._known.get(key)
        if known is not None:
            return known
        username, name, role = key
        row = await self.store.upsert(username, name, role)
        identity = Identity(id=row.id, username=row.username, name=row.name, role=role)  # type: ignore[arg-type]
        self._known[key] = identity
        return identity
