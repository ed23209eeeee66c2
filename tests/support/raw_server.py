"""A server on 127.0.0.1 that answers every request with one fixed body, or never answers: the
shapes and paces that no well-behaved server (nor the fake upstreams) would send."""

from __future__ import annotations

import asyncio


class RawServer:
    def __init__(
        self,
        body: bytes | dict[str, bytes],
        *,
        pace: float = 0.0,
        content_types: dict[str, str] | None = None,
        hang: bool = False,
    ) -> None:
        # One body for every request, or a body for each path (the others get an empty one).
        self.bodies = body if isinstance(body, dict) else {}
        self.body = b"" if isinstance(body, dict) else body
        self.pace = pace  # seconds between bytes of the body; 0 sends it at once
        # By path; JSON for the others.
        self.content_types = content_types or {}
        self.hang = hang  # read each request and never answer, until the client goes away
        self.url = ""
        self._server: asyncio.Server | None = None
        self._answering: set[asyncio.Task] = set()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._answering.add(task)
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            if self.hang:
                while await reader.read(4096):
                    pass
                return
            path = request.split(b" ", 2)[1].decode()
            body = self.bodies.get(path, self.body)
            kind = self.content_types.get(path, "application/json").encode()
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (kind, len(body))
            )
            writer.write(head if self.pace else head + body)
            for byte in body if self.pace else b"":
                await asyncio.sleep(self.pace)
                writer.write(bytes([byte]))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._answering.discard(task)

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._answering):  # still trickling
            task.cancel()
        await asyncio.gather(*self._answering, return_exceptions=True)
        await self._server.wait_closed()
