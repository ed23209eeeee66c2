from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, endpoint
from .schemas import PresetCreate, PresetList, PresetOut, PresetUpdate

if TYPE_CHECKING:
    from ..models.service import ModelService
    from .service import PresetService


class _PresetHandler(ApiHandler):
    auth_resource = "chat-ext:presets"

    uses = ("presets", "models")
    presets: PresetService
    models: ModelService


class PresetsHandler(_PresetHandler):
    @web.authenticated
    @authorized
    @endpoint("The presets the user can use: their own and everyone's", response=PresetList)
    async def get(self) -> PresetList:
        return await self.presets.list(self.identity)

    @web.authenticated
    @authorized
    @endpoint(
        "Make a preset (public ones: admins only)",
        body=PresetCreate,
        response=PresetOut,
        status=201,
    )
    async def post(self, body: PresetCreate) -> PresetOut:
        upstream = await self.models.list()
        return await self.presets.create(self.identity, body, {m.id for m in upstream.items})


class PresetHandler(_PresetHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Change a preset (its maker, or an admin for public ones)",
        body=PresetUpdate,
        response=PresetOut,
    )
    async def patch(self, preset_id: str, body: PresetUpdate) -> PresetOut:
        return await self.presets.update(self.identity, preset_id, body)

    @web.authenticated
    @authorized
    @endpoint("Delete a preset", status=204)
    async def delete(self, preset_id: str) -> None:
        await self.presets.delete(self.identity, preset_id)


routes = [
    (r"/presets", PresetsHandler),
    (r"/presets/(?P<preset_id>[^/]+)", PresetHandler),
]
