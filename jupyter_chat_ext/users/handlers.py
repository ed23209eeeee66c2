from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, endpoint
from .schemas import UserOut


class MeHandler(ApiHandler):
    auth_resource = "chat-ext:users"

    @web.authenticated
    @authorized
    @endpoint("The current user and their role", response=UserOut)
    async def get(self) -> UserOut:
        me = self.identity
        return UserOut(id=me.id, username=me.username, name=me.name, role=me.role)


routes = [(r"/users/me", MeHandler)]
