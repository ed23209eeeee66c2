"""The Jupyter Server extension: configuration, and the one place services are wired together."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import httpx
from jupyter_core.paths import jupyter_data_dir
from jupyter_server.auth.identity import (
    IdentityProvider,
    LegacyIdentityProvider,
    PasswordIdentityProvider,
)
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, Float, Int, List, Set, Unicode, default

from ._version import __version__
from .apikeys import handlers as apikeys_handlers
from .apikeys.service import ApiKeyService
from .apikeys.store import ApiKeyStore
from .chats import handlers as chats_handlers
from .chats.service import ChatService
from .chats.store import ChatStore
from .completions import handlers as completions_handlers
from .completions.service import CompletionService
from .core.db import Database, async_url, create_engine
from .core.handlers import HandlerContext, UnknownRouteHandler
from .core.openapi import OpenApiHandler, build_document
from .events import handlers as events_handlers
from .events.service import EventBus
from .folders import handlers as folders_handlers
from .folders.service import FolderService
from .folders.store import FolderStore
from .migrations import DatabaseTooNew, migrate
from .models import handlers as models_handlers
from .models.service import ModelService
from .presets import handlers as presets_handlers
from .presets.service import PresetService
from .presets.store import PresetStore
from .providers import handlers as providers_handlers
from .providers import seeds
from .providers.service import ConnectionService
from .providers.store import ConnectionStore
from .proxy import openapi as proxy_openapi
from .proxy.mounts import MOUNTS as PROXY_MOUNTS
from .proxy.ollama_api import OllamaApi
from .proxy.openai_api import OpenAIApi
from .users import handlers as users_handlers
from .users.service import UserService
from .users.store import UserStore

API_ROOT = "chat-ext/api"


def openapi_document() -> dict[str, Any]:
    """The REST API's OpenAPI document, built from the handler classes alone."""
    pairs = [
        *users_handlers.routes,
        *apikeys_handlers.routes,
        *chats_handlers.routes,
        *folders_handlers.routes,
        *events_handlers.routes,
        *providers_handlers.routes,
        *models_handlers.routes,
        *completions_handlers.routes,
        *presets_handlers.routes,
        ("/openapi.json", OpenApiHandler),
    ]
    document = build_document(pairs, title="jupyter-chat-ext", version=__version__)
    return proxy_openapi.extend(document)


# Jupyter Server's own logins: anyone holding the token or password is the server's owner.
_OWNER_LOGINS = (IdentityProvider, PasswordIdentityProvider, LegacyIdentityProvider)


class ChatExtApp(ExtensionApp):
    """jupyter-chat-ext: an LLM chat workspace served by Jupyter Server."""

    name = "jupyter_chat_ext"
    load_other_extensions = True

    db_url = Unicode(
        "",
        config=True,
        help="""Database URL. Empty (the default) means a SQLite file, chat-ext.db, in the
        Jupyter data directory. Takes sqlite:///path.db or postgresql://user:pass@host/db
        (install the 'postgres' extra); the asyncio driver is chosen automatically.""",
    )
    db_echo = Bool(False, config=True, help="Log every SQL statement (for debugging).")
    admin_users = Set(
        Unicode(),
        config=True,
        help="""Usernames (as the identity provider names them) that have the admin role.
        The owner of a single-user server and JupyterHub's admins are admins already.""",
    )
    shared_identity = Bool(
        None,
        allow_none=True,
        config=True,
        help="""Treat everyone the server authenticates as one user, the server's owner.
        Default (None): on for Jupyter Server's own token and password logins, which give each
        browser an anonymous identity of its own; off for JupyterHub and any other identity
        provider, whose users are real and distinct.""",
    )
    owner = Unicode(
        config=True,
        help="""Username of the server's owner, used when shared_identity is on.
        Default: $JUPYTERHUB_USER, else the operating-system user running the server.""",
    )
    owner_is_admin = Bool(
        True,
        config=True,
        help="""Give the server's owner the admin role. Turn it off for JupyterHub deployments
        where every user's server shares one database, so that only hub admins and
        admin_users manage what is global.""",
    )
    max_body_size = Int(
        32 * 1024 * 1024,
        config=True,
        help="Largest request body the REST API accepts, in bytes; larger ones get a 413.",
    )

    openai_api_base_urls = List(
        Unicode(),
        config=True,
        help="""OpenAI-compatible servers to connect at start-up (e.g. https://api.openai.com/v1),
        besides those in $OPENAI_API_BASE_URL(S). Admins can add more at run time.""",
    )
    openai_api_keys = List(
        Unicode(),
        config=True,
        help="""API keys for openai_api_base_urls, matched by position (besides
        $OPENAI_API_KEY(S)). Never logged, never sent to the browser.""",
    )
    ollama_base_urls = List(
        Unicode(),
        config=True,
        help="Ollama servers to connect at start-up (besides $OLLAMA_BASE_URL(S)).",
    )
    upstream_timeout = Float(
        30.0,
        config=True,
        help="""Seconds to wait for a model server to connect or to send its first bytes.
        A streamed answer may then take as long as it needs.""",
    )
    upstream_read_timeout = Float(
        300.0,
        config=True,
        help="""Seconds a streamed answer may go silent (a model loading, a long first token)
        before it counts as a timed-out upstream; what was written is kept.""",
    )
    models_cache_ttl = Float(
        60.0,
        config=True,
        help="""Seconds a connection's model list is reused before it is refreshed in the
        background.""",
    )

    local_model = Unicode(
        "Qwen/Qwen2.5-0.5B-Instruct",
        config=True,
        help="""A Hugging Face causal language model run inside the server (a hub id in the
        local Hugging Face cache, or a folder), listed as the connection "Local". Loaded on first
        use, never downloaded; empty to turn it off. Needs the 'local' extra (torch,
        transformers).""",
    )
    local_model_idle_timeout = Float(
        600.0,
        config=True,
        help="Seconds without use after which the local model is unloaded from memory.",
    )
    task_model = Unicode(
        "",
        config=True,
        help="""Model for background tasks such as naming new chats. Empty: the chat's own
        model.""",
    )

    @default("owner")
    def _default_owner(self) -> str:
        import getpass

        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()

    def resolved_db_url(self) -> str:
        if self.db_url:
            return self.db_url
        folder = Path(jupyter_data_dir())
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'chat-ext.db'}"

    def initialize_settings(self) -> None:
        url = self.resolved_db_url()
        try:
            async_url(url)
            configured = seeds.from_config(
                list(self.openai_api_base_urls),
                list(self.openai_api_keys),
                list(self.ollama_base_urls),
                self.local_model,
            )
            usable, refused = seeds.valid(configured + seeds.from_environment())
            for seed in refused:
                self.log.warning(
                    "jupyter-chat-ext: ignoring the %s connection %r: not an http(s) URL",
                    seed.origin,
                    seed.base_url[:200],
                )
            _run_in_thread(_prepare(url, usable))
        except DatabaseTooNew as error:
            self.log.critical("jupyter-chat-ext: %s", error)
            raise SystemExit(1) from None
        except Exception as error:
            self.log.critical("jupyter-chat-ext: cannot open the database: %s", error)
            raise SystemExit(1) from None
        self.db = Database(url, echo=self.db_echo)

        shared = self.shared_identity
        if shared is None:
            shared = type(self.serverapp.identity_provider) in _OWNER_LOGINS
        self.bus = EventBus()
        self.users = UserService(
            UserStore(self.db),
            shared_identity=shared,
            admin_users=set(self.admin_users),
            owner=self.owner,
            owner_is_admin=self.owner_is_admin,
        )
        self.folders = FolderService(FolderStore(self.db), self.bus)
        self.chats = ChatService(ChatStore(self.db), self.folders, self.bus)
        # One client for all outbound HTTP; upstream requests never carry the user's cookies
        # or tokens, since nothing from the incoming request is copied onto them.
        self.http = httpx.AsyncClient(
            timeout=self.upstream_timeout, trust_env=False, follow_redirects=False
        )
        self.connections = ConnectionService(
            ConnectionStore(self.db),
            self.http,
            timeout=self.upstream_timeout,
            local_idle_timeout=self.local_model_idle_timeout,
            read_timeout=self.upstream_read_timeout,
        )
        self.presets = PresetService(PresetStore(self.db))
        self.models = ModelService(
            self.connections, ttl=self.models_cache_ttl, presets=self.presets
        )
        self.completions = CompletionService(
            self.chats, self.models, self.bus, title_model=self.task_model
        )
        self.keys = ApiKeyService(ApiKeyStore(self.db))
        self.proxy_apis = {"openai": OpenAIApi(self.models), "ollama": OllamaApi(self.models)}
        self.log.info(
            "jupyter-chat-ext %s: database %s, %s",
            __version__,
            self.db.engine.url.render_as_string(hide_password=True),
            "single owner" if shared else "multi-user",
        )

    def api_routes(self) -> list[tuple[str, type, dict[str, Any]]]:
        """(path under the API root, handler, initialize kwargs) for every route."""
        ctx = HandlerContext(identify=self.users.identify, max_body_size=self.max_body_size)
        routes: list[tuple[str, type, dict[str, Any]]] = []

        def mount(pairs: list[tuple[str, type]], **deps: Any) -> None:
            routes.extend((path, cls, {"ctx": ctx, **deps}) for path, cls in pairs)

        mount(users_handlers.routes)
        mount(apikeys_handlers.routes, keys=self.keys)
        mount(chats_handlers.routes, chats=self.chats)
        mount(folders_handlers.routes, folders=self.folders)
        mount(events_handlers.routes, bus=self.bus)
        mount(providers_handlers.routes, connections=self.connections)
        mount(models_handlers.routes, models=self.models)
        mount(completions_handlers.routes, completions=self.completions)
        mount(presets_handlers.routes, presets=self.presets, models=self.models)
        mount([("/openapi.json", OpenApiHandler)], document=openapi_document())
        return routes

    def initialize_handlers(self) -> None:
        routes = self.api_routes()
        self.handlers.extend(
            (url_path_join(API_ROOT, path), cls, kwargs) for path, cls, kwargs in routes
        )
        ctx = routes[0][2]["ctx"]
        self.handlers.append((url_path_join(API_ROOT, "/.*"), UnknownRouteHandler, {"ctx": ctx}))
        # The OpenAI- and Ollama-compatible APIs, beside the REST API; they also take API keys.
        for root, pairs, kind in PROXY_MOUNTS:
            deps = {"ctx": ctx, "keys": self.keys, "api": self.proxy_apis[kind]}
            self.handlers.extend((root + path, cls, deps) for path, cls in pairs)

    async def stop_extension(self) -> None:
        completions = getattr(self, "completions", None)
        if completions is not None:
            # Answers in progress are saved, marked as stopped, before the database closes.
            await completions.running.stop_all()
        connections = getattr(self, "connections", None)
        if connections is not None:
            await connections.close()
        http = getattr(self, "http", None)
        if http is not None:
            await http.aclose()
        db = getattr(self, "db", None)
        if db is not None:
            await db.dispose()


async def _prepare(url: str, connection_seeds: list[seeds.Seed]) -> None:
    """Migrate, then write the configured connections, before the first request."""
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    db = Database(url)
    try:
        service = ConnectionService(ConnectionStore(db), http=None, timeout=0)  # type: ignore[arg-type]
        await service.apply_seeds(connection_seeds)
    finally:
        await db.dispose()


def _run_in_thread(coro: Any) -> Any:
    """Run a coroutine to completion on a private event loop. Used at start-up, before or
    outside the server's loop, so that migrations finish before the first request."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as error:
            result["error"] = error

    thread = threading.Thread(target=target, name="chat-ext-migrate")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


main = launch_new_instance = ChatExtApp.launch_instance
