"""Folder rules: ownership, names, and no folder inside itself."""

from __future__ import annotations

from ..core.clock import from_ms, new_id, now_ms
from ..core.errors import NotFound, ValidationFailed
from ..core.identity import Identity
from ..events.schemas import Event
from ..events.service import EventBus
from .orm import FolderRow
from .schemas import FolderCreate, FolderList, FolderOut, FolderUpdate
from .store import FolderStore


def to_out(row: FolderRow) -> FolderOut:
    return FolderOut(
        id=row.id,
        name=row.name,
        parent_id=row.parent_id,
        created_at=from_ms(row.created_at),
        updated_at=from_ms(row.updated_at),
    )


class FolderService:
    def __init__(self, store: FolderStore, bus: EventBus):
        self.store = store
        self.bus = bus

    async def require(self, me: Identity, folder_id: str) -> FolderRow:
        """The user's own folder, or a 404 that looks the same as a missing one."""
        row = await self.store.get(me.id, folder_id)
        if row is None:
            raise NotFound(f"No folder with id {folder_id!r}.")
        return row

    async def list(self, me: Identity) -> FolderList:
        return FolderList(items=[to_out(r) for r in await self.store.list(me.id)])

    async def create(self, me: Identity, body: FolderCreate) -> FolderOut:
        name = _clean_name(body.name)
        if body.parent_id is not None:
            await self.require(me, body.parent_id)
        now = now_ms()
        row = FolderRow(
            id=new_id(),
            user_id=me.id,
            parent_id=body.parent_id,
            name=name,
            created_at=now,
            updated_at=now,
        )
        await self.store.add(row)
        out = to_out(row)
        self.bus.publish(me.id, Event(type="folder.created", data=out.model_dump(mode="json")))
        return out

    async def update(self, me: Identity, folder_id: str, body: FolderUpdate) -> FolderOut:
        row = await self.require(me, folder_id)
        if "name" in body.model_fields_set:
            if body.name is None:
                raise ValidationFailed("'name' cannot be null.")
            row.name = _clean_name(body.name)
        if "parent_id" in body.model_fields_set:
            if body.parent_id is not None:
                await self._check_no_cycle(me, row.id, body.parent_id)
            row.parent_id = body.parent_id
        row.updated_at = now_ms()
        row = await self.store.save(row)
        out = to_out(row)
        self.bus.publish(me.id, Event(type="folder.updated", data=out.model_dump(mode="json")))
        return out

    async def delete(self, me: Identity, folder_id: str) -> None:
        await self.require(me, folder_id)
        await self.store.delete(me.id, folder_id)
        self.bus.publish(me.id, Event(type="folder.deleted", data={"id": folder_id}))

    async def _check_no_cycle(self, me: Identity, folder_id: str, new_parent: str) -> None:
        parents = {r.id: r.parent_id for r in await self.store.list(me.id)}
        if new_parent not in parents:
            raise NotFound(f"No folder with id {new_parent!r}.")
        cursor: str | None = new_parent
        while cursor is not None:
            if cursor == folder_id:
                raise ValidationFailed("A folder cannot be moved into itself or its subfolders.")
            cursor = parents.get(cursor)


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed("'name' must not be blank.")
    return name
