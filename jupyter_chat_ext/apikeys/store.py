from __future__ import annotations

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from ..core.db import Database
from ..users.orm import UserRow
from .orm import ApiKeyRow


class ApiKeyStore:
    def __init__(self, db: Database):
        self.db = db

    async def add_within(self, row: ApiKeyRow, limit: int) -> bool:
        """Add a key unless its owner has ``limit`` keys already; whether it was added. The
        count and the insert are one step, so that keys made at once cannot all take the
        last place. At the limit, the key that expired first (if one has) gives its place:
        expired keys stay listed, to be recognised, until a new key needs the room."""
        table = ApiKeyRow.__table__
        mine = table.c.user_id == row.user_id
        held = select(func.count()).select_from(table).where(mine)
        values = [literal(getattr(row, c.key), c.type).label(c.key) for c in table.columns]
        # One statement: SQLite takes its write lock before it counts.
        add = insert(table).from_select(
            [c.key for c in table.columns], select(*values).where(held.scalar_subquery() < limit)
        )
        first_expired = (
            select(table.c.id)
            .where(mine, table.c.expires_at <= row.created_at)
            .order_by(table.c.expires_at, table.c.id)
            .limit(1)
        )
        make_room = delete(table).where(table.c.id.in_(first_expired.scalar_subquery()))
        postgres = self.db.dialect == "postgresql"

        def work(session: Session) -> bool:
            if postgres:
                # Each statement of PostgreSQL's READ COMMITTED sees what was committed when it
                # began: a lock on the owner makes concurrent adds count one after another.
                session.execute(
                    select(UserRow.id).where(UserRow.id == row.user_id).with_for_update()
                )
            if session.execute(add).rowcount == 1:
                return True
            return session.execute(make_room).rowcount == 1 and session.execute(add).rowcount == 1

        return await self.db.write(work)

    async def list(self, user_id: str) -> list[ApiKeyRow]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(ApiKeyRow)
                .where(ApiKeyRow.user_id == user_id)
                .order_by(ApiKeyRow.created_at, ApiKeyRow.id)
            )
            return list(rows)

    async def list_all(self) -> list[tuple[ApiKeyRow, str]]:
        """Every user's keys, with their owner's username, by owner then age."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(ApiKeyRow, UserRow.username)
                .join(UserRow, UserRow.id == ApiKeyRow.user_id)
                .order_by(UserRow.username, ApiKeyRow.created_at, ApiKeyRow.id)
            )
            return [(key, username) for key, username in rows]

    async def delete(self, user_id: str | None, key_id: str) -> str | None:
        """Remove one of the user's keys (any user's, with None); its hash, or None if there
        is no such key."""
        match = ApiKeyRow.id == key_id
        if user_id is not None:
            match &= ApiKeyRow.user_id == user_id
        async with self.db.session() as session:
            found = await session.scalar(delete(ApiKeyRow).where(match).returning(ApiKeyRow.hash))
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
