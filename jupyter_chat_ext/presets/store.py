from __future__ import annotations

from sqlalchemy import delete, or_, select

from ..core.db import Database
from .orm import PresetRow


class PresetStore:
    def __init__(self, db: Database):
        self.db = db

    async def visible(self, user_id: str) -> list[PresetRow]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(PresetRow)
                .where(or_(PresetRow.visibility == "public", PresetRow.user_id == user_id))
                .order_by(PresetRow.name, PresetRow.id)
            )
            return list(rows)

    async def ids(self) -> set[str]:
        async with self.db.session() as session:
            return set(await session.scalars(select(PresetRow.id)))

    async def get(self, preset_id: str) -> PresetRow | None:
        async with self.db.session() as session:
            return await session.get(PresetRow, preset_id)

    async def save(self, row: PresetRow) -> PresetRow:
        async with self.db.session() as session:
            merged = await session.merge(row)
            await session.commit()
            return merged

    async def delete(self, preset_id: str) -> None:
        async with self.db.session() as session:
            await session.execute(delete(PresetRow).where(PresetRow.id == preset_id))
            await session.commit()
