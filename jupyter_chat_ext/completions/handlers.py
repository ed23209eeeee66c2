"""Completions over Server-Sent Events: ``start``, then ``reasoning`` / ``delta`` / ``usage``
events carrying only what is new, then ``done`` or ``error``."""

from __future__ import annotations

import asyncio
import json
import re
import time
from contextlib import aclosing, suppress
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from ..core.errors import ValidationFailed
from ..core.handlers import ApiHandler, endpoint
from .schemas import (
    REQUEST_ID,
    CompletionRequest,
    CompletionResult,
    Running,
    RunningList,
    StopByRequest,
)
from .tasks import Generation

if TYPE_CHECKING:
    from .service import CompletionService


EVENT_STREAM = "text/event-stream"
# A model may say nothing for minutes (a local model loading, a long think), and a proxy in
# front of the server (nginx's default: 60 s) closes a response quiet for that long; a
# comment, which every SSE reader skips, keeps it open.
KEEP_ALIVE_S = 15.0


class _CompletionHandler(ApiHandler):
    auth_resource = "chat-ext:completions"

    uses = ("completions",)
    completions: CompletionService
    _written_at = 0.0  # when the stream last sent something (time.monotonic())

    async def follow(self, gen: Generation, start: dict[str, Any]) -> None:
        """Stream a generation from now on. Leaving early stops the stream, not the answer."""
        self.set_header("Content-Type", EVENT_STREAM)
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")  # proxies must not hold the stream back
        # Each event leaves when written; with Nagle the first delta would wait for the
        # client to acknowledge ``start``.
        self.request.connection.stream.set_nodelay(True)  # type: ignore[attr-defined]
        self._written_at = time.monotonic()
        quiet = asyncio.create_task(self._keep_alive())
        try:
            async with aclosing(gen.follow(start)) as batches:
                async for events in batches:
                    for name, data in events:
                        self.write(f"event: {name}\ndata: {json.dumps(data)}\n\n")
                    self._written_at = time.monotonic()
                    await self.flush()
        except StreamClosedError:
            pass
        finally:
            quiet.cancel()
        self.finish()

    async def _keep_alive(self) -> None:
        """A comment after each ``KEEP_ALIVE_S`` without an event, until the stream ends."""
        with suppress(StreamClosedError):
            while True:
                wait = self._written_at + KEEP_ALIVE_S - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                self.write(": keep-alive\n\n")
                self._written_at = time.monotonic()
                await self.flush()


class CompletionsHandler(_CompletionHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Ask a model: stores the question, streams the answer as it is written and stored",
        body=CompletionRequest,
        response=CompletionResult,
        content_type=EVENT_STREAM,
    )
    async def post(self, body: CompletionRequest) -> CompletionResult | None:
        gen, user_message_id = await self.completions.start(self.identity, body)
        if not body.stream:
            await gen.finished.wait()
            return self.completions.result(gen, user_message_id)
        start = {
            "chat_id": gen.chat_id,
            "user_message_id": user_message_id,
            "message_id": gen.message_id,
            "model": gen.model,
        }
        await self.follow(gen, start)
        return None

    @web.authenticated
    @authorized
    @endpoint("The user's answers being written now", response=RunningList)
    async def get(self) -> RunningList:
        return RunningList(
            items=[
                Running(message_id=g.message_id, chat_id=g.chat_id, request_id=g.request_id)
                for g in self.completions.running.of_user(self.identity.id)
            ]
        )


class CompletionStreamHandler(_CompletionHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Re-attach to an answer being written: its text so far, then what follows",
        content_type=EVENT_STREAM,
    )
    async def get(self, message_id: str) -> None:
        gen = self.completions.attach(self.identity, message_id)
        if gen is None:
            raise web.HTTPError(404, "No answer %s is being written.", message_id)
        await self.follow(
            gen, {"chat_id": gen.chat_id, "message_id": gen.message_id, "model": gen.model}
        )


class CompletionStopHandler(_CompletionHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Stop an answer being written, keeping what was written; one that has ended already "
        "is told as it ended",
        response=CompletionResult,
    )
    async def post(self, message_id: str) -> CompletionResult:
        return await self.completions.stop(self.identity, message_id)


class RequestStopHandler(_CompletionHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Stop the answer asked for under a request's own name (its request_id): for a caller "
        "that gave up before the answer's id came back. One not begun yet is stopped as it "
        "begins",
        response=StopByRequest,
    )
    async def post(self, request_id: str) -> StopByRequest:
        if not re.fullmatch(REQUEST_ID, request_id):
            raise ValidationFailed("'request_id' is 1 to 64 letters, digits and '_.:-'.")
        return StopByRequest(result=await self.completions.stop_request(self.identity, request_id))


routes = [
    (r"/chat/completions", CompletionsHandler),
    (r"/chat/completions/(?P<message_id>[^/]+)/stream", CompletionStreamHandler),
    (r"/chat/completions/(?P<message_id>[^/]+)/stop", CompletionStopHandler),
    (r"/chat/completions/requests/(?P<request_id>[^/]+)/stop", RequestStopHandler),
]
