from __future__ import annotations

from sqlalchemy import case, delete, or_, select
from sqlalchemy.exc import IntegrityError

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

    async def find(self, user_id: str, preset_id: str) -> PresetRow | None:
        """The user's own preset of that id, else the public one."""
        async with self.db.session() as session:
            rows = await session.scalars(
                select(PresetRow)
                .where(
                    PresetRow.id == preset_id,
                    or_(PresetRow.user_id == user_id, PresetRow.visibility == "public"),
                )
                .order_by(case((PresetRow.user_id == user_id, 0), else_=1))
                .limit(1)
            )
            return rows.first()

    async def public_exists(self, preset_id: str) -> bool:
        async with self.db.session() as session:
            found = await session.scalar(
                select(PresetRow.user_id).where(
                    PresetRow.id == preset_id, PresetRow.visibility == "public"
                )
            )
            return found is not None

    async def add(self, row: PresetRow) -> bool:
        """Insert a new preset; False when its id was taken meanwhile (by the user, or by a
        preset for everyone), so that of two requests at once one is refused, not merged."""
        async with self.db.session() as session:
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return False
            return True

    async def save(self, row: PresetRow) -> PresetRow | None:
        """Write a changed preset; None when it became public while another public preset
        took its id meanwhile."""
        async with self.db.session() as session:
            merged = await session.merge(row)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return None
            return merged

    async def delete(self, row: PresetRow) -> None:
        async with self.db.session() as session:
            await session.execute(
                delete(PresetRow).where(PresetRow.id == row.id, PresetRow.user_id == row.user_id)
            )
            await session.commit()
