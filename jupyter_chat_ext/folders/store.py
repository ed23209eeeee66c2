from __future__ import annotations

from sqlalchemy import delete, select

from ..core.db import Database
from .orm import FolderRow


class FolderStore:
    def __init__(self, db: Database):
        self.db = db

    async def list(self, user_id: str) -> list[FolderRow]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(FolderRow)
                .where(FolderRow.user_id == user_id)
                .order_by(FolderRow.name, FolderRow.id)
            )
            return list(rows)

    async def get(self, user_id: str, folder_id: str) -> FolderRow | None:
        async with self.db.session() as session:
            return await session.scalar(
                select(FolderRow).where(FolderRow.id == folder_id, FolderRow.user_id == user_id)
            )

    async def add(self, row: FolderRow) -> FolderRow:
        async with self.db.session() as session:
            session.add(row)
            await session.commit()
            return row

    async def save(self, row: FolderRow) -> FolderRow:
        async with self.db.session() as session:
            merged = await session.merge(row)
            await session.commit()
            return merged

    async def delete(self, user_id: str, folder_id: str) -> None:
        async with self.db.session() as session:
            await session.execute(
                delete(FolderRow).where(FolderRow.id == folder_id, FolderRow.user_id == user_id)
            )
            await session.commit()
