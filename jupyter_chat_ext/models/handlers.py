from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, endpoint
from .schemas import ModelList

if TYPE_CHECKING:
    from .service import ModelService


class ModelsHandler(ApiHandler):
    auth_resource = "chat-ext:models"

    uses = ("models",)
    models: ModelService

    @web.authenticated
    @authorized
    @endpoint("Every model of every enabled connection", response=ModelList)
    async def get(self) -> ModelList:
        return await self.models.list(self.identity)


routes = [(r"/models", ModelsHandler)]
