from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, endpoint
from .schemas import ConnectionCreate, ConnectionList, ConnectionOut, ConnectionUpdate, VerifyResult

if TYPE_CHECKING:
    from .service import ConnectionService


class _ConnectionHandler(ApiHandler):
    auth_resource = "chat-ext:connections"

    admin_only = "Only admins manage connections."
    uses = ("connections",)
    connections: ConnectionService


class ConnectionsHandler(_ConnectionHandler):
    @web.authenticated
    @authorized
    @endpoint("List model server connections (admins)", response=ConnectionList)
    async def get(self) -> ConnectionList:
        return await self.connections.list(self.identity)

    @web.authenticated
    @authorized
    @endpoint(
        "Add a connection (admins)", body=ConnectionCreate, response=ConnectionOut, status=201
    )
    async def post(self, body: ConnectionCreate) -> ConnectionOut:
        return await self.connections.create(self.identity, body)


class ConnectionHandler(_ConnectionHandler):
    @web.authenticated
    @authorized
    @endpoint("Change a connection (admins)", body=ConnectionUpdate, response=ConnectionOut)
    async def patch(self, connection_id: str, body: ConnectionUpdate) -> ConnectionOut:
        return await self.connections.update(self.identity, connection_id, body)

    @web.authenticated
    @authorized
    @endpoint("Remove a connection (admins)", status=204)
    async def delete(self, connection_id: str) -> None:
        await self.connections.delete(self.identity, connection_id)


class VerifyHandler(_ConnectionHandler):
    @web.authenticated
    @authorized
    @endpoint("Check that a connection answers (admins)", response=VerifyResult)
    async def post(self, connection_id: str) -> VerifyResult:
        return await self.connections.verify(self.identity, connection_id)


routes = [
    (r"/connections", ConnectionsHandler),
    (r"/connections/(?P<connection_id>[^/]+)", ConnectionHandler),
    (r"/connections/(?P<connection_id>[^/]+)/verify", VerifyHandler),
]
