"""What both clients share: the connection, the HTTP options, and reading answers and errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ._calls import T, _Call
from ._connection import API_PATH, Connection, discover, from_url
from ._errors import ChatError
from ._version import __version__

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
}


class _Base:
    connection: Connection

    def __init__(
        self,
        url: str | None,
        token: str | None,
        timeout: float,
        connection: Connection | None,
    ) -> None:
        if connection is None:
            if url is not None:
                connection = from_url(url, token or "")
            else:
                connection = discover()
                if token is not None:
                    connection = replace(
                        connection, token=token, source=f"{connection.source}, token from arguments"
                    )
        self.connection = connection
        self.timeout = timeout

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.connection.url

    @property
    def api_url(self) -> str:
        return self.connection.url + API_PATH

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.connection.url} from {self.connection.source}>"

    def _http_options(self) -> dict[str, Any]:
        headers = {
            "Accept": "application/json",
            "User-Agent": f"jupyter-chat-kernel/{__version__}",
        }
        if self.connection.token:
            headers["Authorization"] = f"token {self.connection.token}"
        return {
            "base_url": self.api_url,
            "headers": headers,
            "timeout": httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            # A proxy from the environment would swallow requests to this machine's own server
            # (httpx does not exempt loopback addresses), so local servers skip it.
            "trust_env": not self.connection.is_local,
        }

    def _request(
        self, http: httpx.Client | httpx.AsyncClient, call: _Call[Any], *, stream: bool = False
    ) -> httpx.Request:
        if http.is_closed:
            raise ChatError(None, "closed", "This client was closed; make a new one to go on.")
        return http.build_request(
            call.method,
            call.path,
            params=call.params,
            json=call.body,
            headers={"Accept": "text/event-stream"} if stream else None,
            # A stream's headers come as soon as the answer is stored, so they are timed like
            # any answer; reading the events is not (see _quiet_allowed).
            timeout=httpx.Timeout(self.timeout, read=None)
            if call.waits and not stream
            else httpx.USE_CLIENT_DEFAULT,
        )

    @staticmethod
    def _quiet_allowed(response: httpx.Response) -> None:
        """Let a stream whose headers came go quiet for as long as its model takes; the
        server bounds that wait itself (its upstream read timeout)."""
        # httpcore reads the body with the read timeout of the request's extensions, looked up
        # when the body is first read: the one moment to lift it.
        response.request.extensions["timeout"]["read"] = None

    @property
    def _where(self) -> str:
        return f"the Jupyter server at {self.connection.url}"

    def _transport_error(self, error: httpx.TransportError) -> ChatError:
        where = f"the Jupyter server at {self.connection.url} (from {self.connection.source})"
        if isinstance(error, httpx.TimeoutException):
            return ChatError(None, "timeout", f"No answer from {where} within {self.timeout:g} s.")
        detail = str(error) or type(error).__name__
        if isinstance(error, httpx.ConnectError):
            return ChatError(
                None,
                "unreachable",
                f"Cannot reach {where}: {detail}. Is it running? Set JUPYTER_CHAT_URL to "
                "point elsewhere.",
            )
        return ChatError(None, "transport", f"Talking to {where} failed: {detail}.")

    def _read(self, call: _Call[T], response: httpx.Response) -> T:
        status = response.status_code
        if status >= 400:
            raise self._error(response)
        if 300 <= status < 400:
            location = urlsplit(response.headers.get("Location", ""))
            target = urlunsplit((location.scheme, location.netloc, location.path, "", ""))
            raise ChatError(
                status,
                "redirect",
                f"The server at {self.connection.url} redirected {call.path} to {target!r}; "
                "is the URL right, including its base path?",
                response.reason_phrase,
            )
        if status == 204 or not response.content:
            data = None
        else:
            try:
                data = response.json()
            except ValueError:
                raise self._bad_response(response, "something that is not JSON") from None
        try:
            return call.read(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise self._bad_response(response, "JSON of an unexpected shape") from None

    def _not_a_stream(self, response: httpx.Response) -> ChatError | None:
        """An answer asked for as a stream comes as server-sent events; else the error."""
        kind = response.headers.get("Content-Type", "").partition(";")[0].strip()
        if kind == "text/event-stream":
            return None
        return self._bad_response(response, f"{kind or 'no content type'}, not events")

    def _bad_response(self, response: httpx.Response, what: str) -> ChatError:
        return ChatError(
            response.status_code,
            "bad_response",
            f"The server at {self.connection.url} answered {response.request.url.path} with "
            f"{what}; is it a Jupyter server with jupyter-chat-ext?",
            response.reason_phrase,
        )

    def _error(self, response: httpx.Response) -> ChatError:
        status, reason = response.status_code, response.reason_phrase
        code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "error")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not (isinstance(data, dict) and isinstance(data.get("message"), str)):
            # Not the extension's error shape: the answer came from something else.
            if status == 404:
                message = (
                    f"No chat API at {self.api_url}: is the URL right, including its base "
                    "path, and the jupyter-chat-ext server extension enabled on that server?"
                )
            else:
                message = f"The server at {self.connection.url} answered {status} {reason}."
            return ChatError(status, code, message, reason)
        message = data["message"]
        code = str(data.get("code") or code)
        reason = str(data.get("reason") or reason)
        if status in (401, 403) and message in ("", reason, "Forbidden", "Unauthorized"):
            # Jupyter Server says only "Forbidden" for a missing or wrong token.
            which = "no token" if not self.connection.token else "the token"
            message = (
                f"The Jupyter server at {self.connection.url} refused {which} "
                f"(from {self.connection.source}); set JUPYTER_CHAT_TOKEN to the server's token."
            )
        return ChatError(status, code, message, reason)
