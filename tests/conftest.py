from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.identity import TokenPerUser, header
from tests.support.postgres import PostgresServer

pytest_plugins = ["pytest_jupyter.jupyter_server"]

# `make test` sets this so that a missing PostgreSQL fails the run instead of being skipped.
REQUIRE_PG = os.environ.get("CHAT_EXT_REQUIRE_PG") == "1"


@pytest.fixture(scope="session")
def postgres():
    if not PostgresServer.available():
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required (CHAT_EXT_REQUIRE_PG=1) but is not installed.")
        pytest.skip("PostgreSQL is not installed")
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> Iterator[str]:
    """An empty database for the test, on each backend. Every server the test started has
    stopped by its teardown, which fixtures that take this one are torn down before."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chat-ext.db'}"
        return
    with request.getfixturevalue("postgres").lent_database() as url:
        yield url


@pytest.fixture
def chat_ext_config() -> dict[str, Any]:
    """Extra ChatExtApp settings; tests override this fixture."""
    return {}


@pytest.fixture
def jp_server_config(db_url, chat_ext_config):
    return {
        "ServerApp": {
            # Terminals' WebSocket handler is not decorated for authentication and would fail
            # to load now that JupyterServerAuthWarning is an error; chat-ext needs no terminals.
            "jpserver_extensions": {"jupyter_chat_ext": True, "jupyter_server_terminals": False},
            "terminals_enabled": False,
            "allow_unauthenticated_access": False,
            "identity_provider_class": TokenPerUser,
        },
        # No local models unless a test asks for one: they would be listed beside the upstreams.
        "ChatExtApp": {
            "db_url": db_url,
            "admin_users": {"admin"},
            "local_model": "",
            "local_embedding_model": "",
            # Freezing the garbage collector's view of a test process would pin every later
            # test's objects; tests/api/test_gc_freeze.py checks it where it is wanted.
            "gc_freeze_delay": -1.0,
            **chat_ext_config,
        },
    }


class Api:
    """Calls the chat-ext REST API as a given user and decodes the JSON answer."""

    def __init__(self, fetch, user: str | None = "alice"):
        self._fetch = fetch
        self.user = user

    def as_(self, user: str | None) -> Api:
        return Api(self._fetch, user)

    async def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        raw: bytes | None = None,
    ):
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if raw is not None:
            kwargs["body"] = raw
        elif body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = b"{}"
        if method == "DELETE" and "body" in kwargs:
            kwargs["allow_nonstandard_methods"] = True
        response = await self._fetch(
            "chat-ext",
            "api",
            *path.strip("/").split("/"),
            headers=header(self.user),
            params=params or {},
            **kwargs,
        )
        return Response(response)


class Response:
    def __init__(self, response):
        self.status = response.code
        self.headers = response.headers
        self.text = response.body.decode() if response.body else ""

    def json(self) -> Any:
        return json.loads(self.text)

    def __repr__(self) -> str:
        return f"<{self.status} {self.text[:300]}>"


@pytest.fixture
def api(jp_fetch) -> Api:
    return Api(jp_fetch)
