"""The upstream transport against servers on 127.0.0.1 that send exact bytes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
import pytest_asyncio

from jupyter_chat_ext.providers.base import UpstreamError
from jupyter_chat_ext.providers.http import upstream_stream
from jupyter_chat_ext.providers.transport import TransportError, UpstreamTransport
from jupyter_chat_ext.testing.upstream import FakeUpstream, RefusedPort

Reply = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]


class RawServer:
    """A server that reads each request head (and a Content-Length body) and lets the test
    answer with whatever bytes it likes. Counts connections and keeps the requests."""

    def __init__(self, reply: Reply):
        self.reply = reply
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                await self.reply(reader, writer, request)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def fixed(data: bytes, close: bool = False) -> Reply:
    async def reply(reader, writer, request):
        writer.write(data)
        await writer.drain()
        if close:
            writer.close()

    return reply


@pytest_asyncio.fixture
async def transport():
    pool = UpstreamTransport()
    yield pool
    await pool.aclose()


async def read_all(pool: UpstreamTransport, url: str, **kw) -> tuple[int, bytes]:
    response = await pool.open("GET", url, {}, **kw)
    try:
        return response.status_code, await response.aread()
    finally:
        await response.aclose()


async def test_content_length_body_and_connection_reuse(transport):
    async with RawServer(fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")) as server:
        for _ in range(3):
            assert await read_all(transport, server.url + "/a") == (200, b"hello")
        assert server.connections == 1
        assert server.requests[0].startswith(b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:")


async def test_chunked_body_is_dechunked_and_headers_are_read(transport):
    body = b"HTTP/1.1 201 Created\r\nX-Thing: yes\r\nTransfer-Encoding: chunked\r\n\r\n"
    body += b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
    async with RawServer(fixed(body)) as server:
        response = await transport.open("GET", server.url, {})
        assert response.status_code == 201
        assert response.header("x-thing") == "yes"
        assert await response.aread() == b"abcdefg"
        await response.aclose()
        assert await read_all(transport, server.url) == (201, b"abcdefg")
        assert server.connections == 1


async def test_body_until_close_and_http10_are_not_reused(transport):
    reply = fixed(b"HTTP/1.0 200 OK\r\n\r\nall of it", close=True)
    async with RawServer(reply) as server:
        assert await read_all(transport, server.url) == (200, b"all of it")
        assert await read_all(transport, server.url) == (200, b"all of it")
        assert server.connections == 2


async def test_interim_response_is_skipped(transport):
    reply = fixed(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n")
    reply2 = b"Content-Length: 2\r\n\r\nok"

    async def both(reader, writer, request):
        await reply(reader, writer, request)
        writer.write(reply2)

    async with RawServer(both) as server:
        response = await transport.open("GET", server.url, {})
        assert response.status_code == 200
        assert response.header("link") is None
        assert await response.aread() == b"ok"
        await response.aclose()


async def test_post_body_and_headers_are_sent_as_given(transport):
    async with RawServer(fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) as server:
        response = await transport.open(
            "POST",
            server.url + "/v1/x?y=1",
            {"Authorization": "Bearer k", "Host": "evil", "User-Agent": "mine"},
            b'{"a":1}',
        )
        await response.aclose()
        request = server.requests[0]
        assert request.startswith(b"POST /v1/x?y=1 HTTP/1.1\r\n")
        assert b"Authorization: Bearer k\r\n" in request
        assert b"Content-Length: 7\r\n" in request
        assert b"User-Agent: mine\r\n" in request
        # The message's own framing is never the caller's to set.
        assert b"Host: evil" not in request
        assert request.endswith(b'\r\n\r\n{"a":1}')


async def test_credentials_in_the_url_become_basic_auth_and_stay_out_of_errors(transport):
    async with RawServer(fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) as server:
        url = server.url.replace("http://", "http://ann:s%40cret@") + "/v1"
        response = await transport.open("GET", url, {})
        await response.aclose()
        # ann:s@cret, base64-encoded
        assert b"Authorization: Basic YW5uOnNAY3JldA==\r\n" in server.requests[0]
        # A header the caller sets wins over the URL's.
        response = await transport.open("GET", url, {"Authorization": "Bearer k"})
        await response.aclose()
        assert b"Basic" not in server.requests[1]
    with RefusedPort() as refused:
        url = refused.url.replace("http://", "http://someone:hunter2x@")
        with pytest.raises(UpstreamError) as caught:
            async with upstream_stream(transport, "GET", url, headers={}, connect_timeout=5):
                pass
        assert caught.value.kind == "refused"
        assert "hunter2x" not in str(caught.value) and "someone" not in str(caught.value)
        assert f"127.0.0.1:{refused.port}" in str(caught.value)


async def test_header_with_a_line_break_is_refused_before_sending(transport):
    async with RawServer(fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) as server:
        with pytest.raises(TransportError) as caught:
            await transport.open("GET", server.url, {"X-A": "b\r\nX-Injected: 1"})
        assert caught.value.kind == "refused"
        assert server.requests == []


async def test_server_closing_an_idle_connection_gets_a_fresh_one(transport):
    async def reply(reader, writer, request):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # says keep-alive, closes anyway (an idle timeout on the server)

    async with RawServer(reply) as server:
        assert await read_all(transport, server.url) == (200, b"ok")
        await asyncio.sleep(0.05)
        assert await read_all(transport, server.url) == (200, b"ok")
        assert server.connections == 2


async def test_a_stale_connection_that_fails_silently_is_retried_once(transport):
    """The close of a kept-alive socket may come only after the next request is written."""

    async def reply(reader, writer, request):
        if len(server.requests) == 2:
            writer.transport.abort()  # the second request dies unanswered
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    async with RawServer(reply) as server:
        assert await read_all(transport, server.url) == (200, b"ok")
        assert await read_all(transport, server.url) == (200, b"ok")
        assert len(server.requests) == 3 and server.connections == 2


async def test_a_slow_answer_on_a_kept_connection_is_not_sent_again(transport):
    async def reply(reader, writer, request):
        if len(server.requests) == 2:
            await asyncio.sleep(5)  # has the request, answers late
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    async with RawServer(reply) as server:
        assert await read_all(transport, server.url) == (200, b"ok")
        with pytest.raises(TransportError) as caught:
            await transport.open("POST", server.url, {}, b"{}", read_s=0.2)
        assert caught.value.kind == "timeout"
        await asyncio.sleep(0.1)
        assert len(server.requests) == 2 and server.connections == 1


async def test_cut_body_is_an_error_after_what_came(transport):
    reply = fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", close=True)
    async with RawServer(reply) as server:
        response = await transport.open("GET", server.url, {})
        pieces = []
        with pytest.raises(TransportError) as caught:
            async for piece in response.aiter_bytes():
                pieces.append(piece)
        await response.aclose()
        assert b"".join(pieces) == b"half"
        assert caught.value.kind == "cut"


async def test_garbage_instead_of_http(transport):
    async with RawServer(fixed(b"SSH-2.0-OpenSSH\r\n\r\n")) as server:
        with pytest.raises(TransportError) as caught:
            await transport.open("GET", server.url, {})
        assert caught.value.kind == "cut"


async def test_read_timeout_and_connect_refused(transport):
    async def silent(reader, writer, request):
        await asyncio.sleep(5)

    async with RawServer(silent) as server:
        with pytest.raises(TransportError) as caught:
            await transport.open("GET", server.url, {}, read_s=0.2)
        assert caught.value.kind == "timeout"
    with RefusedPort() as refused:
        with pytest.raises(TransportError) as caught:
            await transport.open("GET", refused.url, {})
        assert caught.value.kind == "refused"
    with pytest.raises(TransportError):
        await transport.open("GET", "ftp://example.org/", {})


async def test_a_burst_is_read_in_one_piece_when_the_reader_was_busy(transport):
    """Pull, not push: while the reader is away, what arrives waits in the socket."""
    sent = asyncio.Event()

    async def reply(reader, writer, request):
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        await writer.drain()
        for i in range(50):
            await asyncio.sleep(0.001)
            writer.write(b"1\r\n%d\r\n" % (i % 10))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        sent.set()

    async with RawServer(reply) as server:
        response = await transport.open("GET", server.url, {})
        pieces = response.aiter_bytes()
        assert await anext(pieces) == b"first"
        await asyncio.wait_for(sent.wait(), 5)
        await asyncio.sleep(0.05)
        rest = [piece async for piece in pieces]
        await response.aclose()
        assert b"".join(rest) == b"".join(b"%d" % (i % 10) for i in range(50))
        assert len(rest) <= 2


async def test_dropping_a_response_midway_closes_its_connection(transport):
    left = asyncio.Event()

    async def endless(reader, writer, request):
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(500):
                writer.write(b"1\r\nx\r\n")
                await writer.drain()
                await asyncio.sleep(0.01)
        except ConnectionError:
            pass
        left.set()

    async with RawServer(endless) as server:
        response = await transport.open("GET", server.url, {})
        async for _ in response.aiter_bytes():
            break
        await response.aclose()
        await asyncio.wait_for(left.wait(), 2)


async def test_upstream_stream_against_the_fake_openai_server(transport):
    async with FakeUpstream(reply="Hello from the fake.") as up:
        body = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}
        async with upstream_stream(
            transport,
            "POST",
            f"{up.openai_url}/chat/completions",
            headers={"Authorization": "Bearer sk-x"},
            connect_timeout=5,
            json={**body, "stream": True},
        ) as response:
            lines = [line async for line in response.aiter_lines()]
        events = [line[6:] for line in lines if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        text = "".join(
            (json.loads(e)["choices"] or [{}])[0].get("delta", {}).get("content") or ""
            for e in events[:-1]
        )
        assert text == "You said: hi Hello from the fake."
        with pytest.raises(UpstreamError) as caught:
            async with upstream_stream(
                transport,
                "POST",
                f"{up.openai_url}/chat/completions",
                headers={},
                connect_timeout=5,
                json={**body, "model": "no-such-model"},
            ):
                pass
        assert caught.value.status == 404
