"""The base of every compatible-API handler: upstream work that a departing client cancels,
bytes relayed and flushed as they arrive, and errors in the API's own shape."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import aclosing
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from tornado import iostream, web

from ..core.errors import ApiError
from ..core.handlers import error_message
from ..providers.base import UpstreamError
from .auth import KeyAuthHandler
from .errors import Failure, failure

T = TypeVar("T")
log = logging.getLogger(__name__)

# Pieces relayed as they come, then the pause that lets a burst gather (see ``relay``).
EAGER = 3
GATHER = 0.002


class ProxyHandler(KeyAuthHandler):
    _work: asyncio.Future | None = None
    _gone = False
    # Which of the services answers: each compatible API has its own.
    api_name: str
    api: Any
    # Passed on, never stored: what an upstream takes is for the upstream to judge.
    stores_text = False

    async def prepare(self) -> None:
        await super().prepare()
        self.api = getattr(await self.ctx.services(), self.api_name)

    # -- the API's error shape (subclasses) -------------------------------------------------

    def error_body(self, failure: Failure) -> dict[str, Any]:
        raise NotImplementedError

    def error_frame(self, failure: Failure) -> bytes:
        """An error inside a stream whose status line has already gone out."""
        raise NotImplementedError

    # -- cancellation -------------------------------------------------------------------------

    async def guard(self, work: Coroutine[Any, Any, T]) -> T | None:
        """Run ``work`` as a task of its own that a departing client cancels, which closes
        the upstream request with it. Failures before the response started become an
        error response; the result is None then."""
        if self._gone:
            work.close()
            return None
        self._work = task = asyncio.ensure_future(work)
        try:
            return await task
        except asyncio.CancelledError:
            if not self._gone:
                raise
        except (ApiError, UpstreamError) as error:
            self.send_failure(failure(error, self.identity.is_admin))
        return None

    def on_connection_close(self) -> None:
        self._gone = True
        if self._work is not None and not self._work.done():
            self._work.cancel()
        super().on_connection_close()

    # -- writing ------------------------------------------------------------------------------

    def send_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data, separators=(",", ":")).encode())

    async def relay(self, chunks: AsyncIterator[bytes], content_type: str) -> None:
        """Write what arrives and flush it at once. Nothing is sent before the first chunk,
        so an upstream that refuses the request still gets a real error status.

        Each piece is what one read of the upstream socket brought, and that socket is read
        only when asked (see providers/transport.py). The first ``EAGER`` pieces go out as
        they come, so the first token (OpenAI sends a role-only chunk before it) never
        waits. After them the loop rests ``GATHER`` seconds before asking again, so a burst
        of tokens arrives in one read and leaves in one write; a token that comes later than
        that goes out the moment it arrives, so a model's usual pace (a token every 10 ms or
        more) is not delayed at all. A slow client holds the reading back in the same way.
        """
        count = 0
        try:
            async with aclosing(chunks) as stream:  # type: ignore[type-var]
                async for data in stream:
                    if not count:
                        self._start_stream(content_type)
                    count += 1
                    self.write(data)
                    await self.flush()
                    if count >= EAGER:
                        await asyncio.sleep(GATHER)
        except iostream.StreamClosedError:
            return
        except (ApiError, UpstreamError) as error:
            if not count:
                raise
            self.write(self.error_frame(failure(error, self.identity.is_admin)))
        except Exception:
            if not count:
                raise
            # The status line is out: the stream still ends, in the API's own error shape.
            log.exception("A %s stream failed halfway", self.api_name)
            self.write(self.error_frame(Failure(500, "The answer failed on the server.")))
        self.finish(set_content_type=content_type)

    def _start_stream(self, content_type: str) -> None:
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "no-cache")
        # Ask nginx-style proxies in front of Jupyter not to buffer the stream.
        self.set_header("X-Accel-Buffering", "no")
        # Small writes go out at once instead of waiting for the client's ACK of the
        # previous one (Nagle); tornado only does this when a response ends.
        self.request.connection.stream.set_nodelay(True)  # type: ignore[attr-defined]

    def send_failure(self, failure: Failure) -> None:
        if self._finished:
            return
        self.set_status(failure.status)
        for name, value in failure.headers:
            self.set_header(name, value)
        self.finish(json.dumps(self.error_body(failure)).encode())

    def send_api_error(self, status: int, code: str, message: str) -> None:
        # Bad JSON and oversized bodies, caught by ``endpoint`` before the method runs.
        self.send_failure(Failure(status, message, code))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = error_message(status_code, kwargs.get("exc_info"))
        if self.host_refused:
            message = (
                "This server does not answer for that host name (see ServerApp.local_hostnames "
                "and ServerApp.allow_remote_access)."
            )
        elif status_code == 403 and not self.current_user and not self.key_refused:
            # Jupyter refuses an unknown caller with a 403; these APIs' clients expect a 401
            # (OpenAI's AuthenticationError), as OpenAI and Ollama servers send.
            status_code = 401
            message = (
                "Missing or unknown API key: send a chat-ext key (made at "
                "chat-ext/api/users/me/keys) or the Jupyter token as 'Authorization: Bearer ...'."
            )
            self.set_status(401)
        code = {401: "invalid_api_key", 403: "forbidden"}.get(status_code)
        self.finish(json.dumps(self.error_body(Failure(status_code, message, code))))


class UnknownPath:
    """Any other path under a compatible API's root: a 404 in that API's own error shape,
    for those who are signed in (the others learn nothing about what exists)."""

    request: Any

    def unknown_message(self) -> str:
        return f"Invalid URL ({self.request.method} {self.request.path})"

    def _missing(self, *args: Any) -> None:
        failure = Failure(404, self.unknown_message(), "unknown_url")
        self.send_failure(failure)  # type: ignore[attr-defined]

    get = post = put = patch = delete = web.authenticated(authorized(_missing))
