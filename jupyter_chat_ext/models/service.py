"""The merged model list. Each connection is listed on its own, with its own timeout, so one slow
or dead server never holds up the others; results are cached for ``ttl`` seconds and refreshed
in the background once stale."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from ..core.errors import NotFound
from ..providers.base import ModelClient, UpstreamError, UpstreamModel
from ..providers.orm import ConnectionRow
from ..providers.service import ConnectionService
from .schemas import ModelList, ModelOut


@dataclass
class _Entry:
    fetched_at: float
    models: list[UpstreamModel]
    error: str | None


@dataclass(frozen=True, slots=True)
class Route:
    """Where a model id leads: the connection, its client, and the upstream's own id."""

    connection: ConnectionRow
    client: ModelClient
    upstream_id: str


class ModelService:
    def __init__(self, connections: ConnectionService, ttl: float):
        self.connections = connections
        self.ttl = ttl
        self._cache: dict[tuple[str, float], _Entry] = {}
        self._refreshing: dict[str, asyncio.Task] = {}

    async def list(self) -> ModelList:
        rows = await self.connections.enabled()
        entries = await asyncio.gather(*(self._entry(row) for row in rows))
        items: list[ModelOut] = []
        errors: dict[str, str] = {}
        seen: set[str] = set()
        for row, entry in zip(rows, entries, strict=True):
            if entry.error:
                errors[row.name] = entry.error
            for model in entry.models:
                model_id = f"{row.prefix}{model.id}"
                if model_id in seen or (row.model_ids and model.id not in row.model_ids):
                    continue
                seen.add(model_id)
                items.append(
                    ModelOut(
                        id=model_id,
                        name=f"{row.prefix}{model.name}",
                        owned_by=model.owned_by,
                        connection_id=row.id,
                        connection_name=row.name,
                        kind=row.kind,  # type: ignore[arg-type]
                    )
                )
        return ModelList(items=items, errors=errors)

    async def route(self, model_id: str) -> Route:
        """The connection serving ``model_id``, or a 404 that says how to list models."""
        rows = await self.connections.enabled()
        entries = await asyncio.gather(*(self._entry(row) for row in rows))
        for row, entry in zip(rows, entries, strict=True):
            if row.prefix and not model_id.startswith(row.prefix):
                continue
            upstream_id = model_id[len(row.prefix) :]
            if row.model_ids and upstream_id not in row.model_ids:
                continue
            if any(m.id == upstream_id for m in entry.models):
                return Route(row, self.connections.client(row), upstream_id)
        raise NotFound(
            f"Unknown model {model_id!r}. GET chat-ext/api/models lists the models you can use.",
            code="model_not_found",
        )

    def _key(self, row: ConnectionRow) -> tuple[str, float]:
        # A changed connection is a different cache entry.
        return (row.id, row.updated_at)

    async def _entry(self, row: ConnectionRow) -> _Entry:
        key = self._key(row)
        entry = self._cache.get(key)
        if entry is None:
            entry = await self._fetch(row)
        elif time.monotonic() - entry.fetched_at > self.ttl and row.id not in self._refreshing:
            task = asyncio.create_task(self._fetch(row))
            self._refreshing[row.id] = task
            task.add_done_callback(lambda _t, rid=row.id: self._refreshing.pop(rid, None))
        return entry

    async def _fetch(self, row: ConnectionRow) -> _Entry:
        try:
            models = await self.connections.client(row).models()
            entry = _Entry(time.monotonic(), models, None)
        except UpstreamError as error:
            # Keep serving what was last known, and try again soon.
            previous = self._cache.get(self._key(row))
            entry = _Entry(time.monotonic(), previous.models if previous else [], error.message)
        self._cache = {k: v for k, v in self._cache.items() if k[0] != row.id}
        self._cache[self._key(row)] = entry
        return entry
