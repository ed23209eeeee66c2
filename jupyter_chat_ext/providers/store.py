from __future__ import annotations

from sqlalchemy import delete, select

from ..core.db import Database
from .orm import ConnectionRow


class ConnectionStore:
    def __init__(self, db: Database):
        self.db = db

    async def list(self) -> list[ConnectionRow]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(ConnectionRow).order_by(ConnectionRow.created_at, ConnectionRow.id)
            )
            return list(rows)

    async def get(self, connection_id: str) -> ConnectionRow | None:
        async with self.db.session() as session:
            return await session.get(ConnectionRow, connection_id)

    async def save(self, row: ConnectionRow) -> ConnectionRow:
        async with self.db.session() as session:
            merged = await session.merge(row)
            await session.commit()
            return merged

    async def delete(self, connection_id: str) -> bool:
        async with self.db.session() as session:
            result = await session.execute(
                delete(ConnectionRow).where(ConnectionRow.id == connection_id)
            )
            await session.commit()
            return result.rowcount > 0
