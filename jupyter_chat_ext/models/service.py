"""The merged model list. Each connection is listed on its own, with its own timeout, so one slow
or dead server never holds up the others; results are cached for ``ttl`` seconds and refreshed
in the background once stale."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from ..core.errors import NotFound
from ..core.identity import Identity
from ..presets.orm import PresetRow
from ..presets.service import PresetService
from ..providers.base import ModelClient, UpstreamError, UpstreamModel
from ..providers.orm import ConnectionRow
from ..providers.service import ConnectionService, shown_name
from .schemas import ModelList, ModelOut, PresetInfo


@dataclass
class _Entry:
    fetched_at: float
    models: list[UpstreamModel]
    error: UpstreamError | None


@dataclass(frozen=True, slots=True)
class Route:
    """Where a model id leads: the connection, its client, and the upstream's own id."""

    connection: ConnectionRow
    client: ModelClient
    upstream_id: str
    preset: PresetRow | None = None

    @property
    def model_id(self) -> str:
        """The id the model list gives what answers: the preset's, or the connection's
        prefix and the upstream's own id (``llama3.2:latest`` where ``llama3.2`` was asked)."""
        return self.preset.id if self.preset else f"{self.connection.prefix}{self.upstream_id}"

    def params(self, requested: dict) -> dict:
        """The preset's defaults, overridden by what the request asks for."""
        return over(self.preset.params if self.preset else {}, requested)


# One limit under OpenAI's older and newer names. OpenAI refuses a request that sets both.
LENGTH_LIMITS = ("max_tokens", "max_completion_tokens")


def over(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Parameters ``given`` over their ``defaults`` (a preset's under a chat's, a chat's
    under a request's). A length limit given under either name replaces the defaults' under
    both: the request's own limit wins, and only one is sent."""
    merged = {**defaults, **given}
    if any(given.get(name) is not None for name in LENGTH_LIMITS):
        for name in LENGTH_LIMITS:
            if given.get(name) is None:
                merged.pop(name, None)
    return merged


def spellings(model: str) -> list[str]:
    """The ids ``model`` may stand for, most literal first: Ollama clients write "llama3" and
    "llama3:latest" for the same model."""
    if model.endswith(":latest"):
        return [model, model.removesuffix(":latest")]
    if ":" not in model.rsplit("/", 1)[-1]:
        return [model, f"{model}:latest"]
    return [model]


def _unique(errors: dict[str, str], name: str, object_id: str) -> str:
    """Names need not be unique: a second one is told apart by its id."""
    return f"{name} ({object_id})" if name in errors else name


class ModelService:
    def __init__(self, connections: ConnectionService, ttl: float, presets: PresetService):
        self.connections = connections
        self.presets = presets
        self.ttl = ttl
        self._cache: dict[tuple[str, float], _Entry] = {}
        self._refreshing: dict[str, asyncio.Task] = {}
        # First fetches under way, shared by every request that needs them meanwhile.
        self._fetching: dict[tuple[str, float], asyncio.Task[_Entry]] = {}

    async def list(self, me: Identity | None = None) -> ModelList:
        """Upstream models, then (for a user) the presets they can see."""
        found = await self._upstream_list(me is not None and me.is_admin)
        if me is None:
            return found
        by_id = {m.id: m for m in found.items}
        for preset in await self.presets.visible(me):
            base = by_id.get(preset.base_model)
            if base is None:
                # Offered, it could not answer: said beside the list instead, like a
                # connection that is down, until its base model is back.
                name = _unique(found.errors, f"Preset {preset.name}", preset.id)
                found.errors[name] = f"its base model {preset.base_model!r} is not available now"
                continue
            hidden = by_id.get(preset.id)
            if hidden is not None and hidden.owned_by != "preset":
                # A connection listed this id after the preset took it: the preset answers
                # for it (as routing does), and the clash is said so that it can be renamed.
                found.items.remove(hidden)
                name = _unique(found.errors, f"Preset {preset.name}", preset.id)
                found.errors[name] = (
                    f"its id {preset.id!r} is also a model of {hidden.connection_name}, which "
                    "it hides; rename the preset or give the connection a prefix"
                )
            found.items.append(
                ModelOut(
                    id=preset.id,
                    name=preset.name,
                    owned_by="preset",
                    connection_id=base.connection_id,
                    connection_name=base.connection_name,
                    kind=base.kind,
                    embedding=base.embedding,
                    created=preset.created_at // 1000,
                    preset=PresetInfo(
                        base_model=preset.base_model,
                        description=preset.description,
                        capabilities=list(preset.capabilities or []),
                        visibility=preset.visibility,  # type: ignore[arg-type]
                    ),
                )
            )
        return found

    async def _served(
        self, admin: bool = False
    ) -> tuple[list[tuple[str, ConnectionRow, UpstreamModel]], dict[str, str]]:
        """Every model offered, as (listed id, connection, the upstream's account), first
        connection first where two offer the same id; and the connections that failed, as
        ``admin`` or anyone else is told (see ``UpstreamError.told_to``)."""
        rows = await self.connections.enabled()
        entries = await self._entries(rows)
        served: list[tuple[str, ConnectionRow, UpstreamModel]] = []
        errors: dict[str, str] = {}
        seen: set[str] = set()
        for row, entry in zip(rows, entries, strict=True):
            if entry.error:
                name = _unique(errors, shown_name(row, admin), row.id)
                errors[name] = entry.error.told_to(admin)
            for model in entry.models:
                model_id = f"{row.prefix}{model.id}"
                if model_id in seen or (row.model_ids and model.id not in row.model_ids):
                    continue
                seen.add(model_id)
                served.append((model_id, row, model))
        return served, errors

    async def _upstream_list(self, admin: bool) -> ModelList:
        served, errors = await self._served(admin)
        items = [
            ModelOut(
                id=model_id,
                name=f"{row.prefix}{model.name}",
                owned_by=model.owned_by,
                connection_id=row.id,
                connection_name=shown_name(row, admin),
                kind=row.kind,  # type: ignore[arg-type]
                embedding=bool(model.meta.get("embedding")),
                created=model.meta.get("created"),
            )
            for model_id, row, model in served
        ]
        return ModelList(items=items, errors=errors)

    async def upstream_meta(self) -> dict[str, dict[str, Any]]:
        """What each connection said of its models besides their names (Ollama: size, digest,
        family), by listed id."""
        served, _ = await self._served()
        return {model_id: model.meta for model_id, _, model in served}

    async def route(self, model_id: str, me: Identity | None = None) -> Route:
        """The connection serving ``model_id`` under any of its ``spellings`` (through a preset
        the user can see, if it names one), or a 404 that says how to list models. Every API
        takes a model as the compatible APIs do, so ``llama3.2`` is ``llama3.2:latest``."""
        missing: NotFound | None = None
        for spelling in spellings(model_id):
            try:
                return await self._route(spelling, me)
            except NotFound as error:
                if error.code != "model_not_found":
                    raise
                missing = missing or error  # it names the model as it was asked for
        assert missing is not None
        raise missing

    async def _route(self, model_id: str, me: Identity | None) -> Route:
        if me is not None:
            preset = await self.presets.find(me, model_id)
            if preset is not None:
                base = await self._upstream_route(preset.base_model, me, preset)
                return Route(base.connection, base.client, base.upstream_id, preset)
        return await self._upstream_route(model_id, me)

    async def _upstream_route(
        self, model_id: str, me: Identity | None, preset: PresetRow | None = None
    ) -> Route:
        """The first connection, in the list's order, that lists ``model_id``. Only those whose
        prefix and allowlist admit the id are asked, and one still listing its models is
        waited for only while no connection before it has the model: a slow server that
        could not serve the id, or comes after the one that does, holds up no answer."""
        candidates = []
        for row in await self.connections.enabled():
            if row.prefix and not model_id.startswith(row.prefix):
                continue
            upstream_id = model_id[len(row.prefix) :]
            if not row.model_ids or upstream_id in row.model_ids:
                candidates.append((row, upstream_id, self._cached(row) or self._fetching_of(row)))
        down = []
        for row, upstream_id, known in candidates:
            entry = known if isinstance(known, _Entry) else await asyncio.shield(known)
            if any(m.id == upstream_id for m in entry.models):
                return Route(row, self.connections.client(row), upstream_id)
            if entry.error:
                admin = bool(me and me.is_admin)
                down.append(f"{shown_name(row, admin)}: {entry.error.told_to(admin)}")
        # Asked for a preset, the user never named its base model: the 404 says whose it is.
        unknown = (
            f"The preset {preset.id!r} answers with {model_id!r}, which is not available now."
            if preset
            else f"Unknown model {model_id!r}."
        )
        raise NotFound(
            f"{unknown} GET chat-ext/api/models lists the models you can use."
            + (f" Not listed now: {' | '.join(down[:3])}" if down else ""),
            code="model_not_found",
        )

    def _key(self, row: ConnectionRow) -> tuple[str, float]:
        # A changed connection is a different cache entry.
        return (row.id, row.updated_at)

    async def _entries(self, rows: list[ConnectionRow]) -> list[_Entry]:
        """Each connection's models, fetched together for those not in the cache yet.
        Every completion asks, and from the cache that costs no task per connection."""
        cached = [self._cached(row) for row in rows]
        missing = [row for row, entry in zip(rows, cached, strict=True) if entry is None]
        fetched = iter(await asyncio.gather(*map(self._first_fetch, missing)) if missing else ())
        return [entry if entry is not None else next(fetched) for entry in cached]

    async def _first_fetch(self, row: ConnectionRow) -> _Entry:
        # Shielded: one request that goes away does not cancel the others' fetch.
        return await asyncio.shield(self._fetching_of(row))

    def _fetching_of(self, row: ConnectionRow) -> asyncio.Task[_Entry]:
        """A connection's first list, fetched once for all who ask while it comes: fifty
        requests at start-up, or while a dead server times out, make one request to it."""
        key = self._key(row)
        task = self._fetching.get(key)
        if task is None:
            task = self._fetching[key] = asyncio.create_task(self._fetch(row))
            task.add_done_callback(lambda _t: self._fetching.pop(key, None))
        return task

    def _cached(self, row: ConnectionRow) -> _Entry | None:
        """The cached entry, refreshed in the background once it is older than the TTL."""
        entry = self._cache.get(self._key(row))
        if entry is None:
            return None
        if time.monotonic() - entry.fetched_at > self.ttl and row.id not in self._refreshing:
            task = asyncio.create_task(self._fetch(row))
            self._refreshing[row.id] = task
            task.add_done_callback(lambda _t, rid=row.id: self._refreshing.pop(rid, None))
        return entry

    async def _fetch(self, row: ConnectionRow) -> _Entry:
        try:
            models = await self.connections.list_models(row)
            entry = _Entry(time.monotonic(), models, None)
        except UpstreamError as error:
            # Keep serving what was last known, and try again soon.
            previous = self._cache.get(self._key(row))
            entry = _Entry(time.monotonic(), previous.models if previous else [], error)
        self._cache = {k: v for k, v in self._cache.items() if k[0] != row.id}
        self._cache[self._key(row)] = entry
        return entry
