from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, endpoint
from .schemas import (
    ChatCreate,
    ChatDetail,
    ChatGetQuery,
    ChatListQuery,
    ChatPage,
    ChatTailQuery,
    ChatUpdate,
    CloneBody,
    Count,
    DeleteAll,
    ExportDocument,
    ExportQuery,
    ImportCheck,
    ImportResult,
    MessageCreate,
    MessageOut,
    MessageUpdate,
    TagAdd,
    TagList,
)

if TYPE_CHECKING:
    from ..completions.service import CompletionService
    from .service import ChatService


class _ChatHandler(ApiHandler):
    auth_resource = "chat-ext:chats"

    uses = ("chats",)
    chats: ChatService

    def attachment(self, title: str, extension: str) -> None:
        stem = re.sub(r"[^\w\- ]+", "", title).strip().replace(" ", "-")[:80] or "chat"
        self.set_header("Content-Disposition", f'attachment; filename="{stem}.{extension}"')


class ChatsHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "List chats, newest first, with search and filters", query=ChatListQuery, response=ChatPage
    )
    async def get(self, query: ChatListQuery) -> ChatPage:
        return await self.chats.list(self.identity, query)

    @web.authenticated
    @authorized
    @endpoint("Create a chat", body=ChatCreate, response=ChatDetail, status=201)
    async def post(self, body: ChatCreate) -> ChatDetail:
        return await self.chats.create(self.identity, body)


class ChatHandler(_ChatHandler):
    # Deleting a chat stops the answers being written into it.
    uses = ("chats", "completions")
    completions: CompletionService

    @web.authenticated
    @authorized
    @endpoint(
        "Get a chat with its current branch of messages (or the branch's tail)",
        query=ChatGetQuery,
        response=ChatDetail,
    )
    async def get(self, chat_id: str, query: ChatGetQuery) -> ChatDetail:
        return await self.chats.get(self.identity, chat_id, query)

    @web.authenticated
    @authorized
    @endpoint(
        "Rename, pin, archive, move or switch branch; the chat comes back as GET returns it",
        body=ChatUpdate,
        query=ChatTailQuery,
        response=ChatDetail,
    )
    async def patch(self, chat_id: str, body: ChatUpdate, query: ChatTailQuery) -> ChatDetail:
        return await self.chats.update(self.identity, chat_id, body, query)

    @web.authenticated
    @authorized
    @endpoint("Delete a chat", status=204)
    async def delete(self, chat_id: str) -> None:
        await self.chats.delete(self.identity, chat_id)
        self.completions.abandon(self.identity, chat_id)


class CloneHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint("Copy a chat with all its branches", body=CloneBody, response=ChatDetail, status=201)
    async def post(self, chat_id: str, body: CloneBody) -> ChatDetail:
        return await self.chats.clone(self.identity, chat_id, body)


class ArchiveAllHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint("Archive every chat", response=Count)
    async def post(self) -> Count:
        return Count(count=await self.chats.archive_all(self.identity))


class DeleteAllHandler(_ChatHandler):
    uses = ("chats", "completions")
    completions: CompletionService

    @web.authenticated
    @authorized
    @endpoint("Delete every chat (needs the confirmation phrase)", body=DeleteAll, response=Count)
    async def post(self, body: DeleteAll) -> Count:
        count = await self.chats.delete_all(self.identity)
        self.completions.abandon(self.identity)
        return Count(count=count)


class ExportAllHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint("Export every chat as JSON", response=ExportDocument)
    async def get(self) -> None:
        self.attachment("chats", "json")
        await self.write_pages(ExportDocument(chats=[]), self.chats.export_all(self.identity))


class ExportHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Export a chat as JSON (every branch) or Markdown (the current branch)",
        query=ExportQuery,
        response=ExportDocument,
        content_type="text/markdown",
    )
    async def get(self, chat_id: str, query: ExportQuery) -> ExportDocument | None:
        if query.format == "markdown":
            title, text = await self.chats.export_markdown(self.identity, chat_id)
            self.attachment(title, "md")
            self.finish(text, set_content_type="text/markdown; charset=UTF-8")
            return None
        document = await self.chats.export(self.identity, [chat_id])
        self.attachment(document.chats[0].title, "json")
        return document


class ImportHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Import chats: a jupyter-chat-ext export or an Open WebUI chat export",
        raw_body=True,
        response=ImportResult,
        status=201,
    )
    async def post(self, body: Any) -> ImportResult:
        return await self.chats.import_(self.identity, body)


class ImportCheckHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Check an import without storing anything: refused as the import would be",
        raw_body=True,
        response=ImportCheck,
    )
    async def post(self, body: Any) -> ImportCheck:
        return self.chats.check_import(self.identity, body)


class ChatTagsHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint("Tag a chat", body=TagAdd, response=ChatDetail)
    async def post(self, chat_id: str, body: TagAdd) -> ChatDetail:
        return await self.chats.add_tag(self.identity, chat_id, body.name)


class ChatTagHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint("Remove a tag from a chat", response=ChatDetail)
    async def delete(self, chat_id: str, name: str) -> ChatDetail:
        return await self.chats.remove_tag(self.identity, chat_id, name)


class MessagesHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Add a message (a reply, an edit or a regeneration)",
        body=MessageCreate,
        response=MessageOut,
        status=201,
    )
    async def post(self, chat_id: str, body: MessageCreate) -> MessageOut:
        return await self.chats.add_message(self.identity, chat_id, body)


class MessageHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Change a message's content, model or metadata", body=MessageUpdate, response=MessageOut
    )
    async def patch(self, chat_id: str, message_id: str, body: MessageUpdate) -> MessageOut:
        return await self.chats.update_message(self.identity, chat_id, message_id, body)


class TagsHandler(_ChatHandler):
    @web.authenticated
    @authorized
    @endpoint("The user's tags with their chat counts", response=TagList)
    async def get(self) -> TagList:
        return await self.chats.tags(self.identity)


_ID = r"(?P<chat_id>[^/]+)"

routes = [
    (r"/chats", ChatsHandler),
    (r"/chats/archive-all", ArchiveAllHandler),
    (r"/chats/delete-all", DeleteAllHandler),
    (r"/chats/export", ExportAllHandler),
    (r"/chats/import", ImportHandler),
    (r"/chats/import/check", ImportCheckHandler),
    (rf"/chats/{_ID}", ChatHandler),
    (rf"/chats/{_ID}/clone", CloneHandler),
    (rf"/chats/{_ID}/export", ExportHandler),
    (rf"/chats/{_ID}/tags", ChatTagsHandler),
    (rf"/chats/{_ID}/tags/(?P<name>[^/]+)", ChatTagHandler),
    (rf"/chats/{_ID}/messages", MessagesHandler),
    (rf"/chats/{_ID}/messages/(?P<message_id>[^/]+)", MessageHandler),
    (r"/tags", TagsHandler),
]
