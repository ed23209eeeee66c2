from __future__ import annotations

from sqlalchemy import delete, func, select, update

from ..core.db import Database
from ..users.orm import UserRow
from .orm import ApiKeyRow


class ApiKeyStore:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, row: ApiKeyRow) -> None:
        async with self.db.session() as session:
            session.add(row)
            await session.commit()

    async def count(self, user_id: str) -> int:
        async with self.db.session() as session:
            found = await session.scalar(
                select(func.count()).select_from(ApiKeyRow).where(ApiKeyRow.user_id == user_id)
            )
            return int(found or 0)

    async def list(self, user_id: str) -> list[ApiKeyRow]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(ApiKeyRow)
                .where(ApiKeyRow.user_id == user_id)
                .order_by(ApiKeyRow.created_at, ApiKeyRow.id)
            )
            return list(rows)

    async def delete(self, user_id: str, key_id: str) -> str | None:
        """Remove one of the user's keys; its hash, or None if the user has no such key."""
        async with self.db.session() as session:
            found = await session.scalar(
                delete(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.user_id == user_id)
                .returning(ApiKeyRow.hash)
            )
            await session.commit()
            return found

    async def find(self, digest: str) -> tuple[ApiKeyRow, UserRow] | None:
        """The key with this hash and the user it belongs to. The key's owner is the users
        row its foreign key names, so the two are read in one query."""
        async with self.db.session() as session:
            found = (
                await session.execute(
                    select(ApiKeyRow, UserRow)
                    .join(UserRow, UserRow.id == ApiKeyRow.user_id)
                    .where(ApiKeyRow.hash == digest)
                )
            ).first()
            return None if found is None else (found[0], found[1])

    async def touch(self, key_id: str, at: int) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=at)
            )
            await session.commit()
