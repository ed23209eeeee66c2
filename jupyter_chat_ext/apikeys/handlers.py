"""The user's own API keys, under /users/me/keys; every user's, for admins, under /keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, endpoint
from .schemas import KeyCreate, KeyCreated, KeyList, OwnedKeyList

if TYPE_CHECKING:
    from .service import ApiKeyService


class _KeyHandler(ApiHandler):
    auth_resource = "chat-ext:keys"

    uses = ("keys",)
    keys: ApiKeyService


class KeysHandler(_KeyHandler):
    @web.authenticated
    @authorized
    @endpoint("List your API keys (never the keys themselves)", response=KeyList)
    async def get(self) -> KeyList:
        return await self.keys.list(self.identity)

    @web.authenticated
    @authorized
    @endpoint(
        "Create an API key for the OpenAI- and Ollama-compatible APIs; the response is the "
        "only time the key is shown",
        body=KeyCreate,
        response=KeyCreated,
        status=201,
    )
    async def post(self, body: KeyCreate) -> KeyCreated:
        # The one response that carries a key: no cache may keep it.
        self.set_header("Cache-Control", "no-store")
        return await self.keys.create(self.identity, body)


class KeyHandler(_KeyHandler):
    @web.authenticated
    @authorized
    @endpoint("Revoke one of your API keys", status=204)
    async def delete(self, key_id: str) -> None:
        await self.keys.revoke(self.identity, key_id)


class _AdminKeyHandler(_KeyHandler):
    admin_only = "Only admins manage other users' API keys."


class AllKeysHandler(_AdminKeyHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "List every user's API keys, with their owners (admins; never the keys themselves)",
        response=OwnedKeyList,
    )
    async def get(self) -> OwnedKeyList:
        return await self.keys.list_all()


class AnyKeyHandler(_AdminKeyHandler):
    @web.authenticated
    @authorized
    @endpoint("Revoke any user's API key (admins)", status=204)
    async def delete(self, key_id: str) -> None:
        await self.keys.revoke_any(key_id)


routes = [
    (r"/users/me/keys", KeysHandler),
    (r"/users/me/keys/(?P<key_id>[^/]+)", KeyHandler),
    (r"/keys", AllKeysHandler),
    (r"/keys/(?P<key_id>[^/]+)", AnyKeyHandler),
]
