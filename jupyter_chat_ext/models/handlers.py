from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, HandlerContext, endpoint
from .schemas import ModelList
from .service import ModelService


class ModelsHandler(ApiHandler):
    auth_resource = "chat-ext:models"

    def initialize(self, ctx: HandlerContext, models: ModelService) -> None:
        super().initialize(ctx)
        self.models = models

    @web.authenticated
    @authorized
    @endpoint("Every model of every enabled connection", response=ModelList)
    async def get(self) -> ModelList:
        return await self.models.list(self.identity)


routes = [(r"/models", ModelsHandler)]
