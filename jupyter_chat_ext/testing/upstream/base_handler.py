"""The request handler every fake route shares: recording, auth, faults and careful writing.

Faults that happen before an answer exists (hang, slow first token, error status) run in
`prepare`; faults inside an answer (cut, garbage, in-band error, chunk delay) run in `send_json`
and `send_stream`, so each route only builds payloads.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Callable
from typing import Any, ClassVar

from tornado import iostream, web

from .faults import Faults, merged
from .records import Disconnect, RecordedRequest, header_dict
from .state import UpstreamState


class BadRequest(web.HTTPError):
    """Raised by a route to answer with an error in its API's shape (400 unless told)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(status, reason=None)
        self.message = message
        self.param = param
        self.code = code


# What a misconfigured proxy might send instead of JSON: valid UTF-8, so that a client's JSON
# parsing (not its text decoding) is what gets tested.
GARBAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
GARBAGE_LINE = b"{not json, <html>"


class UpstreamHandler(web.RequestHandler):
    """Base of the OpenAI and Ollama routes; subclasses say how their errors look."""

    json_content_type: ClassVar[str] = "application/json"

    def initialize(self, state: UpstreamState) -> None:
        self.state = state
        self.body: Any = None
        self.faults = Faults()
        self.chunks: int | None = None
        self.think: str | None = None
        self.model: str | None = None
        self._gone = asyncio.Event()
        self._server_closed = False
        self._record_index = -1

    # -- subclasses -------------------------------------------------------------------------

    def error_payload(
        self,
        status: int,
        message: str,
        *,
        kind: str | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> Any:
        raise NotImplementedError

    def fault_message(self, status: int) -> str:
        return self.faults.error_message or f"fake upstream failure (status {status})"

    # -- request lifecycle ------------------------------------------------------------------

    async def prepare(self) -> None:
        raw = self.request.body or b""
        text = raw.decode("utf-8", "replace")
        try:
            self.body = json.loads(raw) if raw.strip() else None
        except ValueError:
            self.body = None
        self._record_index = len(self.state.requests)
        self.state.requests.append(
            RecordedRequest(
                method=self.request.method or "",
                path=self.request.path,
                query=self.request.query,
                headers=header_dict(list(self.request.headers.get_all())),
                body=self.body,
                text=text,
            )
        )
        if not self._authorized():
            self.send_error_payload(401, "Incorrect API key provided.", code="invalid_api_key")
            return
        name = self.body.get("model") if isinstance(self.body, dict) else None
        overrides: dict[str, Any] = {}
        if isinstance(name, str):
            self.model, request = self.state.resolve_model(name)
            self.chunks = request.chunks
            self.think = request.think
            overrides = request.overrides
        if self.chunks is None:
            self.chunks = self.state.settings.chunks
        self.faults = merged(self.state.take_faults(self.request.path), overrides)
        await self._before_answer()

    async def _before_answer(self) -> None:
        if self.faults.hang:
            await self._gone.wait()
            self.finish()
            return
        if self.faults.first_token_delay and await self.pause(self.faults.first_token_delay):
            self.finish()
            return
        status = self.faults.error_status
        if status:
            if status in (429, 503):
                # As OpenAI's and Azure's servers say when to come back.
                self.set_header("Retry-After", "1")
                self.set_header("retry-after-ms", "1000")
            self.send_error_payload(status, self.fault_message(status), kind="server_error")

    def _authorized(self) -> bool:
        key = self.state.settings.api_key
        if not key:
            return True
        sent = self.request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {key}".encode())

    def on_connection_close(self) -> None:
        # Tornado watches the socket while we wait or stream, so this fires as soon as the
        # client leaves; waking `_gone` ends any sleep or hang at once.
        if self._gone.is_set():
            return
        self._gone.set()
        if not self._server_closed and not self._finished:
            self.state.disconnects.append(
                Disconnect(
                    method=self.request.method or "",
                    path=self.request.path,
                    request_index=self._record_index,
                )
            )

    async def pause(self, seconds: float) -> bool:
        """Sleep, but wake early if the client leaves; returns True if it left."""
        if seconds <= 0:
            return self._gone.is_set()
        try:
            await asyncio.wait_for(self._gone.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def client_gone(self) -> bool:
        return self._gone.is_set()

    # -- writing ----------------------------------------------------------------------------

    def send_error_payload(
        self,
        status: int,
        message: str,
        *,
        kind: str | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        self.set_status(status)
        self._write_payload(self.error_payload(status, message, kind=kind, param=param, code=code))

    def _write_payload(self, payload: Any) -> None:
        if isinstance(payload, str):
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(payload)
        else:
            self.set_header("Content-Type", self.json_content_type)
            self.finish(json.dumps(payload))

    async def send_json(self, payload: Any, status: int = 200) -> None:
        """A whole JSON answer, spoiled by the `garbage` or `cut_stream` faults if set."""
        self.set_status(status)
        self.set_header("Content-Type", self.json_content_type)
        body = GARBAGE if self.faults.garbage else json.dumps(payload).encode()
        if not self.faults.cut_stream:
            self.finish(body)
            return
        # Announce the full length and send half: the client sees a truncated body.
        self.set_header("Content-Length", str(len(body)))
        self.write(body[: len(body) // 2])
        if await self._flush():
            self._close_connection()
        self.finish()

    async def send_stream(
        self,
        payloads: list[Any],
        *,
        content_type: str,
        frame: Callable[[bytes], bytes],
        done: bytes,
        error: Any,
    ) -> None:
        """Stream payloads, each wrapped by `frame`, with the chunk delay, then `done`.

        Halfway through, `cut_stream` closes the connection, `stream_error` sends `error` in
        band and stops, `garbage` slips in a non-JSON event before going on, and `pause_mid`
        goes silent for a while.
        """
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "no-cache")
        # Each event leaves when written, as from uvicorn and the other servers that models
        # run behind (they all set TCP_NODELAY); Nagle would hold the second event until the
        # client's delayed ACK of the first.
        self.request.connection.stream.set_nodelay(True)  # type: ignore[attr-defined]
        # A one-piece answer's half is before its end: the fault still happens, after it.
        half = max(1, len(payloads) // 2)
        for i, payload in enumerate(payloads):
            if i == half and self._halfway(frame, error):
                return
            if i == half and self.faults.pause_mid and await self.pause(self.faults.pause_mid):
                self.finish()
                return
            if i and self.faults.chunk_delay and await self.pause(self.faults.chunk_delay):
                self.finish()
                return
            self.write(frame(json.dumps(payload).encode()))
            if not await self._flush():
                self.finish()
                return
        if half == len(payloads) and self._halfway(frame, error):
            return
        self.write(done)
        self.finish()

    def _halfway(self, frame: Callable[[bytes], bytes], error: Any) -> bool:
        """The faults of a stream's middle; True when the stream ends there."""
        if self.faults.cut_stream:
            self._close_connection()
            self.finish()
            return True
        if self.faults.stream_error:
            self.write(frame(json.dumps(error).encode()))
            self.finish()
            return True
        if self.faults.garbage:
            self.write(frame(GARBAGE_LINE))
        return False

    async def _flush(self) -> bool:
        """Send what is buffered; False if the client has gone."""
        try:
            await self.flush()
        except iostream.StreamClosedError:
            self.on_connection_close()
            return False
        return not self.client_gone()

    def _close_connection(self) -> None:
        self._server_closed = True
        self.request.connection.close()  # type: ignore[attr-defined]

    def finish(self, chunk: Any = None) -> Any:
        # Finishing after the client left is expected here (hang, cancelled stream): the
        # write fails quietly in tornado, and there is nothing left to do.
        if self._finished:
            return None
        return super().finish(chunk)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # A route's BadRequest, and tornado's own errors (405, a bug in a route), keep the
        # route's error shape.
        error = kwargs.get("exc_info", (None, None))[1]
        if isinstance(error, BadRequest):
            payload = self.error_payload(
                status_code, error.message, param=error.param, code=error.code
            )
        else:
            payload = self.error_payload(status_code, self._reason)
        self._write_payload(payload)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, iostream.StreamClosedError):
            return
        super().log_exception(typ, value, tb)
