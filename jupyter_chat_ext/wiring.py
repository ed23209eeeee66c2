"""The extension's services, built once: the database, the upstream connections and all
that stands on them.

Kept apart from ``app.py`` so that loading the extension imports none of it (SQLAlchemy,
the ORM and the services take most of a second to import): the server starts, then
this module is imported and the database migrated in a worker thread, and the services are
built on the server's loop. Requests that arrive sooner wait for them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .apikeys.service import ApiKeyService
from .apikeys.store import ApiKeyStore
from .chats.service import ChatService
from .chats.store import ChatStore
from .completions.service import CompletionService
from .core.db import Database, create_engine
from .events.service import EventBus
from .folders.service import FolderService
from .folders.store import FolderStore
from .migrations import migrate
from .models.service import ModelService
from .presets.service import PresetService
from .presets.store import PresetStore
from .providers import seeds
from .providers.service import ConnectionService
from .providers.store import ConnectionStore
from .providers.transport import UpstreamTransport
from .providers.urls import check_url, redact
from .proxy.ollama_api import OllamaApi
from .proxy.openai_api import OpenAIApi
from .users.service import UserService
from .users.store import UserStore

if TYPE_CHECKING:
    from .app import ChatExtApp


@dataclass(slots=True)
class Services:
    """Everything the handlers use, by the names they declare in ``uses``."""

    db: Database
    http: UpstreamTransport
    bus: EventBus
    users: UserService
    keys: ApiKeyService
    folders: FolderService
    chats: ChatService
    connections: ConnectionService
    presets: PresetService
    models: ModelService
    completions: CompletionService
    openai_api: OpenAIApi
    ollama_api: OllamaApi

    async def close(self) -> None:
        # Answers in progress are saved, marked as stopped, before the database closes.
        await self.completions.running.stop_all()
        await self.connections.close()
        await self.presets.close()
        await self.http.aclose()
        await self.db.dispose()


def prepare(app: ChatExtApp, url: str) -> None:
    """Migrate the database and write the configured connections. Blocking: run it in a
    worker thread, on a private loop."""
    configured = seeds.from_config(
        list(app.openai_api_base_urls),
        list(app.openai_api_keys),
        list(app.ollama_base_urls),
        app.local_model,
        app.local_embedding_model,
    )
    if app.local_model and app.local_model == app.local_embedding_model:
        # One model cannot be both: it is loaded as the embedding model, and asking it to chat
        # is refused, which would surprise whoever set local_model without this line.
        app.log.warning(
            "jupyter-chat-ext: ChatExtApp.local_model and ChatExtApp.local_embedding_model both "
            "name %r: it runs as the embedding model only, and no local chat model is offered. "
            "Set local_model to a causal language model (or to '' to turn it off).",
            app.local_model,
        )
    usable, refused = seeds.valid(configured + seeds.from_environment())
    for seed in refused:
        app.log.warning(
            "jupyter-chat-ext: ignoring the %s connection %r: its URL %s",
            seed.origin,
            redact(seed.base_url)[:200],
            check_url(seed.base_url),
        )
    interrupted = asyncio.run(_migrate_and_seed(url, usable, app.hub_owner))
    if interrupted:
        app.log.info("jupyter-chat-ext: %d unfinished answers marked as interrupted", interrupted)


INTERRUPTED = "The server stopped before this answer was finished."


async def _migrate_and_seed(
    url: str, connection_seeds: list[seeds.Seed], hub_owner: str | None
) -> int:
    """Returns how many answers a server that stopped left unfinished (on a hub, of its owner's
    only: other users' servers may be writing theirs)."""
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    db = Database(url)
    try:
        service = ConnectionService(ConnectionStore(db), http=None, timeout=0)  # type: ignore[arg-type]
        await service.apply_seeds(connection_seeds)
        user_ids = await UserStore(db).ids_of(hub_owner) if hub_owner else None
        return await ChatStore(db).interrupt_streaming(INTERRUPTED, user_ids=user_ids)
    finally:
        await db.dispose()


def build(app: ChatExtApp, url: str, shared_identity: bool) -> Services:
    """The services, on the loop that will use them."""
    db = Database(url, echo=app.db_echo)
    bus = EventBus()
    users = UserService(
        UserStore(db),
        shared_identity=shared_identity,
        admin_users=set(app.admin_users),
        owner=app.owner,
        owner_is_admin=app.resolved_owner_is_admin(),
    )
    folders = FolderService(FolderStore(db), bus)
    chats = ChatService(ChatStore(db), folders, bus)
    # One connection pool for all outbound HTTP; upstream requests never carry the user's cookies
    # or tokens, since nothing from the incoming request is copied onto them.
    http = UpstreamTransport(max_idle=100)
    connections = ConnectionService(
        ConnectionStore(db),
        http,
        timeout=app.upstream_timeout,
        local_idle_timeout=app.local_model_idle_timeout,
        local_embedding_model=app.local_embedding_model,
        read_timeout=app.upstream_read_timeout,
    )
    presets = PresetService(PresetStore(db))
    models = ModelService(connections, ttl=app.models_cache_ttl, presets=presets)
    return Services(
        db=db,
        http=http,
        bus=bus,
        users=users,
        keys=ApiKeyService(ApiKeyStore(db)),
        folders=folders,
        chats=chats,
        connections=connections,
        presets=presets,
        models=models,
        completions=CompletionService(chats, models, bus, title_model=app.task_model),
        openai_api=OpenAIApi(models),
        ollama_api=OllamaApi(models),
    )
