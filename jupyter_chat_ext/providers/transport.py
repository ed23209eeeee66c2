"""HTTP/1.1 to model servers, on asyncio's own sockets and llhttp's parser (httptools).

Every upstream request is a small JSON POST or GET answered by JSON, server-sent events or
NDJSON, and the proxy relays thousands of small chunks a second. httpx spent more CPU on
that than the rest of the server together (its client layer per request: URL merging,
cookies, auth, redirects; h11 parsing in Python per chunk; several async iterators per
piece). Here the parser is C, and a body is read only when its reader asks: the socket is
paused in between, so one read takes everything that arrived since the last, and a burst
of tokens costs one wake-up instead of one each.

What it does: plain and TLS connections (the system's trust store), kept alive and reused;
Content-Length, chunked and read-until-close bodies; connect and read timeouts; a request on
a kept-alive socket that the server had closed goes again on a fresh one. What it leaves
out, because nothing here sends or needs it: proxies, HTTP/2, ``Expect: 100-continue``,
HEAD, redirects, cookies and compressed bodies (no ``Accept-Encoding`` is sent).
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import ssl
from base64 import b64encode
from collections.abc import AsyncIterator
from urllib.parse import unquote, urlsplit

import httptools

from .._version import __version__
from .urls import redact

_Key = tuple[str, str, int]
# Status codes whose responses never have a body.
_NO_BODY = frozenset({204, 304})
_USER_AGENT = f"jupyter-chat-ext/{__version__}".encode()
# Headers that describe the message itself, which only this module may set.
_OURS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class TransportError(Exception):
    """The exchange failed below HTTP. ``kind``: ``refused`` (no connection), ``timeout``
    (no answer in time) or ``cut`` (the connection broke or spoke something else)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class _Connection(asyncio.Protocol):
    """One upstream socket, one exchange at a time."""

    def __init__(self, key: _Key):
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self.reset()

    def reset(self) -> None:
        if self._paused:
            self._resume()
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.until_close = False
        self.pieces: list[bytes] = []
        self.error: TransportError | None = None
        self.received = False

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(TransportError("cut", f"the answer is not valid HTTP ({error})"))
            return
        if self.pieces and not self.complete and not self._paused and self.transport:
            # Pull, not push: what comes next waits in the socket until the reader asks.
            self.transport.pause_reading()
            self._paused = True
        self._wake()

    def eof_received(self) -> bool:
        return False  # close; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.complete and self.error is None:
            if self.head_done and self.until_close:
                self.complete = True
            elif self.head_done:
                self.error = TransportError("cut", "the connection closed mid-answer")
            else:
                self.error = TransportError("cut", "the connection closed without an answer")
        self._wake()

    # -- httptools callbacks ------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:
            # An interim response (103 Early Hints): the real one follows.
            self.headers = []
            return
        self.status = status
        self.head_done = True
        names = {name.lower() for name, _ in self.headers}
        self.until_close = (
            b"content-length" not in names
            and b"transfer-encoding" not in names
            and status not in _NO_BODY
        )

    def on_body(self, body: bytes) -> None:
        self.pieces.append(body)

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True
            # Asked now: the parser forgets the message once this returns.
            self.keep_alive = self.parser.should_keep_alive()

    # -- the exchange -------------------------------------------------------------------------

    def _fail(self, error: TransportError) -> None:
        self.error = error
        self.close()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _resume(self) -> None:
        self._paused = False
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    async def _wait(self, seconds: float | None) -> None:
        if self._paused:
            self._resume()
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        timer = loop.call_later(seconds, self._time_out) if seconds is not None else None
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def _time_out(self) -> None:
        if self.error is None:
            self._fail(TransportError("timeout", "no answer in time"))

    async def head(self, seconds: float | None) -> None:
        while not self.head_done:
            if self.error is not None:
                raise self.error
            await self._wait(seconds)

    async def next_piece(self, seconds: float | None) -> bytes | None:
        """What has arrived of the body since the last call; None once it is all read."""
        while True:
            if self.pieces:
                data = self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)
                self.pieces.clear()
                return data
            if self.error is not None:
                raise self.error
            if self.complete:
                return None
            await self._wait(seconds)

    @property
    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and not self.pieces

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamResponse:
    """A response whose body is read as it arrives. Close it (``aclose``) when done: a fully
    read body gives its connection back for the next request."""

    def __init__(self, pool: UpstreamTransport, connection: _Connection, read: float | None):
        self.status_code = connection.status
        self._raw_headers = connection.headers
        self._pool = pool
        self._connection: _Connection | None = connection
        self._read = read

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode()
        for key, value in self._raw_headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body as it arrives, one piece per socket read (already de-chunked)."""
        connection = self._connection
        if connection is None:
            return
        while (data := await connection.next_piece(self._read)) is not None:
            yield data

    async def aread(self) -> bytes:
        return b"".join([piece async for piece in self.aiter_bytes()])

    async def aiter_lines(self) -> AsyncIterator[str]:
        """The body as text lines without their ends (``\\n`` or ``\\r\\n``)."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        rest = ""
        async for piece in self.aiter_bytes():
            text = rest + decoder.decode(piece)
            lines = text.split("\n")
            rest = lines.pop()
            for line in lines:
                yield line[:-1] if line.endswith("\r") else line
        rest += decoder.decode(b"", final=True)
        if rest:
            yield rest

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.release(connection)


class UpstreamTransport:
    """A pool of kept-alive connections, shared by every upstream client of the server."""

    def __init__(self, max_idle: int = 100, ssl_context: ssl.SSLContext | None = None):
        self.max_idle = max_idle
        self._ssl = ssl_context
        self._idle: dict[_Key, list[_Connection]] = {}
        self._idle_count = 0

    async def open(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes = b"",
        connect_s: float | None = None,
        read_s: float | None = None,
    ) -> UpstreamResponse:
        """Send a request; returns once the response's status and headers are in."""
        key, host, target, basic = _split(url)
        if basic is not None and not any(name.lower() == "authorization" for name in headers):
            # user:password in the URL, as curl and httpx read it.
            headers = {**headers, "Authorization": basic}
        head = _request_head(method, host, target, headers, body)
        connection = self._take_idle(key)
        if connection is not None:
            try:
                return await self._exchange(connection, head + body, read_s)
            except TransportError as error:
                # A kept-alive socket the server closed meanwhile is closed before any
                # answer; the server never read that request, so it goes again on a fresh
                # connection. A slow answer (a timeout) is not that: the server has the
                # request, and sending it twice would start a second answer.
                if connection.received or error.kind != "cut":
                    raise
        connection = await self._connect(key, connect_s)
        return await self._exchange(connection, head + body, read_s)

    async def _connect(self, key: _Key, seconds: float | None) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        tls = self._ssl_context() if scheme == "https" else None
        try:
            async with asyncio.timeout(seconds):
                _, connection = await loop.create_connection(
                    lambda: _Connection(key),
                    host,
                    port,
                    ssl=tls,
                    server_hostname=host if tls else None,
                )
        except TimeoutError:
            raise TransportError("timeout", "connecting timed out") from None
        except (OSError, ssl.SSLError) as error:
            raise TransportError("refused", str(error) or type(error).__name__) from None
        return connection

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _exchange(
        self, connection: _Connection, request: bytes, read_s: float | None
    ) -> UpstreamResponse:
        connection.reset()
        assert connection.transport is not None
        connection.transport.write(request)
        try:
            await connection.head(read_s)
        except BaseException:
            connection.close()
            raise
        return UpstreamResponse(self, connection, read_s)

    def _take_idle(self, key: _Key) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            self._idle_count -= 1
            if not connection.closed:
                return connection
        return None

    def release(self, connection: _Connection) -> None:
        """After a response is read or dropped: kept for the next request if it can be."""
        if connection.reusable and self._idle_count < self.max_idle:
            self._idle.setdefault(connection.key, []).append(connection)
            self._idle_count += 1
        else:
            # An unread rest, or a server that will close: a fresh connection later is
            # cheaper than reading an answer nobody wants.
            connection.close()

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        self._idle_count = 0


@functools.lru_cache(maxsize=256)
def _split(url: str) -> tuple[_Key, bytes, bytes, str | None]:
    """(pool key, Host header, request target, Basic credentials from the URL or None) of a
    URL; the same few URLs come again and again, so each is worked out once."""
    try:
        return _parse(url)
    except ValueError:  # a bad port, bracket or host name, or a non-ASCII path
        raise TransportError("refused", f"not a usable URL: {redact(url)[:100]!r}") from None


def _parse(url: str) -> tuple[_Key, bytes, bytes, str | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise TransportError("refused", f"not an http(s) URL: {redact(url)[:100]!r}")
    default = 443 if scheme == "https" else 80
    port = parts.port or default
    host = parts.hostname
    host_header = f"[{host}]" if ":" in host else host
    if port != default:
        host_header += f":{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    basic = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        basic = "Basic " + b64encode(pair.encode()).decode()
    return (
        (scheme, host, port),
        host_header.encode("idna"),
        target.encode("ascii", "strict"),
        basic,
    )


def _request_head(
    method: str, host: bytes, target: bytes, headers: dict[str, str], body: bytes
) -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: " + host]
    if body or method == "POST":
        lines.append(b"Content-Length: " + str(len(body)).encode())
    given = {name.lower() for name in headers}
    if "user-agent" not in given:
        lines.append(b"User-Agent: " + _USER_AGENT)
    if "accept" not in given:
        lines.append(b"Accept: */*")
    for name, value in headers.items():
        if name.lower() in _OURS:
            continue
        text = f"{name}: {value}"
        if "\r" in text or "\n" in text or not name or ":" in name:
            raise TransportError("refused", f"the header {name[:40]!r} is not valid in HTTP")
        try:
            lines.append(text.encode("latin-1"))
        except UnicodeEncodeError:
            raise TransportError("refused", f"the header {name[:40]!r} is not Latin-1") from None
    return b"\r\n".join(lines) + b"\r\n\r\n"
