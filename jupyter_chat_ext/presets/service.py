"""Preset rules: admins make presets for everyone, users make private ones; a preset is seen
by its owner and, when public, by everyone, and changed by its owner or (when public) admins."""

from __future__ import annotations

from ..core.clock import from_ms, now_ms
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.identity import Identity
from ..core.refreshed import Refreshed
from .orm import PresetRow
from .schemas import PresetCreate, PresetList, PresetOut, PresetUpdate


def to_out(row: PresetRow, me: Identity) -> PresetOut:
    return PresetOut(
        id=row.id,
        name=row.name,
        base_model=row.base_model,
        description=row.description,
        system_prompt=row.system_prompt,
        params=dict(row.params or {}),
        capabilities=list(row.capabilities or []),
        visibility=row.visibility,  # type: ignore[arg-type]
        mine=row.user_id == me.id,
        created_at=from_ms(row.created_at),
        updated_at=from_ms(row.updated_at),
    )


# Seconds the set of preset ids is trusted before re-reading it (another server may share the
# database); changes made in this process apply at once.
_IDS_TTL = 5.0


def _taken(preset_id: str) -> Conflict:
    return Conflict(f"'id': the model id {preset_id!r} is taken. Choose another.")


def _public_taken(preset_id: str) -> Conflict:
    return Conflict(f"Another preset for everyone is called {preset_id!r}.")


def _name(name: str) -> str:
    if not name.strip():
        raise ValidationFailed("'name' must not be blank.")
    return name.strip()


class PresetService:
    def __init__(self, store):
        self.store = store
        # Every preset id, so that a plain model name (most completions) costs no query.
        self._ids = Refreshed(store.ids, _IDS_TTL, "preset ids")

    async def _known_ids(self) -> set[str]:
        return await self._ids.get()

    async def close(self) -> None:
        await self._ids.aclose()

    async def visible(self, me: Identity) -> list[PresetRow]:
        """The user's presets and the public ones; a private preset hides a public one of the
        same id from its owner (as ``find`` does)."""
        rows = await self.store.visible(me.id)
        mine = {r.id for r in rows if r.user_id == me.id}
        return [r for r in rows if r.user_id == me.id or r.id not in mine]

    async def find(self, me: Identity, preset_id: str) -> PresetRow | None:
        if preset_id not in await self._known_ids():
            return None
        return await self.store.find(me.id, preset_id)

    async def list(self, me: Identity) -> PresetList:
        return PresetList(items=[to_out(r, me) for r in await self.visible(me)])

    async def create(self, me: Identity, body: PresetCreate, known_models: set[str]) -> PresetOut:
        if body.visibility == "public" and not me.is_admin:
            raise Forbidden("Only admins make presets for everyone; make it private.")
        # Only ids this user can see are taken: other users' private presets never show.
        if body.id in known_models or await self.store.find(me.id, body.id) is not None:
            raise _taken(body.id)
        if body.visibility == "public" and await self.store.public_exists(body.id):
            raise Conflict(
                f"'id': another preset for everyone is called {body.id!r}. Choose another."
            )
        await self._check_base(me, body.id, body.base_model)
        now = now_ms()
        row = PresetRow(
            id=body.id,
            user_id=me.id,
            name=_name(body.name),
            base_model=body.base_model,
            description=body.description,
            system_prompt=body.system_prompt,
            params=body.params.upstream(),
            capabilities=body.capabilities,
            visibility=body.visibility,
            created_at=now,
            updated_at=now,
        )
        if not await self.store.add(row):
            raise _taken(body.id)
        self._ids.invalidate()
        return to_out(row, me)

    async def update(self, me: Identity, preset_id: str, body: PresetUpdate) -> PresetOut:
        row = await self._writable(me, preset_id)
        for name in body.model_fields_set:
            value = getattr(body, name)
            if value is None:
                raise ValidationFailed(f"'{name}' cannot be null.")
            if name == "visibility" and value == "public" and row.visibility != "public":
                if not me.is_admin:
                    raise Forbidden("Only admins make presets for everyone.")
                if await self.store.public_exists(row.id):
                    raise _public_taken(row.id)
            if name == "base_model":
                await self._check_base(me, row.id, value)
            if name == "name":
                value = _name(value)
            setattr(row, name, value.upstream() if name == "params" else value)
        row.updated_at = now_ms()
        saved = await self.store.save(row)
        if saved is None:
            raise _public_taken(row.id)
        return to_out(saved, me)

    async def delete(self, me: Identity, preset_id: str) -> None:
        await self.store.delete(await self._writable(me, preset_id))
        self._ids.invalidate()

    async def _check_base(self, me: Identity, preset_id: str, base_model: str) -> None:
        """A preset wraps a connection's model: itself or another preset could never answer."""
        if base_model == preset_id:
            raise ValidationFailed("A preset cannot be its own base model.")
        if any(r.id == base_model for r in await self.visible(me)):
            raise ValidationFailed(
                f"'base_model': {base_model!r} is a preset; a preset's base model is a model of "
                "a connection."
            )

    async def _writable(self, me: Identity, preset_id: str) -> PresetRow:
        row = await self.find(me, preset_id)
        if row is None:
            raise NotFound(f"No preset {preset_id!r}.")
        if row.user_id != me.id and not me.is_admin:
            raise Forbidden("Only its maker or an admin can change this preset.")
        return row
