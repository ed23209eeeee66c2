from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, endpoint
from .schemas import FolderCreate, FolderList, FolderOut, FolderUpdate

if TYPE_CHECKING:
    from .service import FolderService


class _FolderHandler(ApiHandler):
    auth_resource = "chat-ext:folders"

    uses = ("folders",)
    folders: FolderService


class FoldersHandler(_FolderHandler):
    @web.authenticated
    @authorized
    @endpoint("List the user's folders", response=FolderList)
    async def get(self) -> FolderList:
        return await self.folders.list(self.identity)

    @web.authenticated
    @authorized
    @endpoint("Create a folder", body=FolderCreate, response=FolderOut, status=201)
    async def post(self, body: FolderCreate) -> FolderOut:
        return await self.folders.create(self.identity, body)


class FolderHandler(_FolderHandler):
    @web.authenticated
    @authorized
    @endpoint("Rename or move a folder", body=FolderUpdate, response=FolderOut)
    async def patch(self, folder_id: str, body: FolderUpdate) -> FolderOut:
        return await self.folders.update(self.identity, folder_id, body)

    @web.authenticated
    @authorized
    @endpoint("Delete a folder and its subfolders; their chats move to the top level", status=204)
    async def delete(self, folder_id: str) -> None:
        await self.folders.delete(self.identity, folder_id)


routes = [
    (r"/folders", FoldersHandler),
    (r"/folders/(?P<folder_id>[^/]+)", FolderHandler),
]
