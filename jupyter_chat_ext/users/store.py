from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..core.clock import new_id, now_ms
from ..core.db import Database
from .orm import UserRow


class UserStore:
    def __init__(self, db: Database):
        self.db = db

    async def upsert(self, username: str, name: str, role: str) -> UserRow:
        """Find the user by username, creating or refreshing the row as needed."""
        async with self.db.session() as session:
            row = await session.scalar(select(UserRow).where(UserRow.username == username))
            now = now_ms()
            if row is None:
                row = UserRow(
                    id=new_id(),
                    username=username,
                    name=name,
                    role=role,
                    created_at=now,
                    last_seen_at=now,
                )
                session.add(row)
                try:
                    await session.commit()
                except IntegrityError:
                    # Two first requests raced; the other one created the row.
                    await session.rollback()
                    row = await session.scalar(select(UserRow).where(UserRow.username == username))
                    assert row is not None
                return row
            if row.name != name or row.role != role:
                await session.execute(
                    update(UserRow)
                    .where(UserRow.id == row.id)
                    .values(name=name, role=role, last_seen_at=now)
                )
                await session.commit()
                row.name, row.role = name, role
            return row

    async def ids_of(self, username: str) -> list[str]:
        async with self.db.session() as session:
            return list(
                await session.scalars(select(UserRow.id).where(UserRow.username == username))
            )
