"""The database engine: one per server, SQLite by default, PostgreSQL for shared deployments."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T")

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(url: str) -> str:
    """Accept the plain URLs people write (``sqlite:///x.db``, ``postgresql://...``) and pick
    the asyncio driver for them."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"Unsupported database {backend!r}: use a sqlite:// or postgresql:// URL.")
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while the single writer commits; NORMAL is durable under WAL
    # except for the very last transaction on power loss, the usual trade for a local app.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    url = async_url(url)
    # Rows hold secrets (upstream API keys): SQL may be logged, its values never.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if url.startswith("postgresql"):
        kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        # aiosqlite logs every call with its arguments at DEBUG, secrets included.
        logging.getLogger("aiosqlite").setLevel(logging.INFO)
    return engine


class Database:
    """The engine and its session factory, handed to every store."""

    def __init__(self, url: str, *, echo: bool = False):
        self.engine = create_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._sync_engine = None
        self._readers: ThreadPoolExecutor | None = None
        self._writer: ThreadPoolExecutor | None = None
        if self.engine.dialect.name == "sqlite":
            # aiosqlite hops between the loop and its thread 3-4 times per statement; work
            # that runs several statements goes to a worker thread whole, one hop in all.
            sync_url = self.engine.url.set(drivername="sqlite")
            self._sync_engine = create_sync_engine(sync_url)
            event.listen(self._sync_engine, "connect", _sqlite_pragmas)
            self._readers = ThreadPoolExecutor(4, thread_name_prefix="chat-ext-db")
            # SQLite has one writer at a time: writes queue here rather than in busy waits.
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="chat-ext-db-write")

    async def read(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in one read transaction, off the event loop."""
        if self._readers is None:
            async with self.session() as session:
                return await session.run_sync(work)

        def run() -> T:
            with Session(self._sync_engine) as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(self._readers, run)

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in one transaction, committed if it returns, rolled back if
        it raises; off the event loop."""
        if self._writer is None:
            async with self.session() as session:
                result = await session.run_sync(work)
                await session.commit()
                return result

        def run() -> T:
            with Session(self._sync_engine, expire_on_commit=False) as session:
                result = work(session)
                session.commit()
                return result

        return await asyncio.get_running_loop().run_in_executor(self._writer, run)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        return self.sessions()

    def contains(self, column: Any, text: str) -> ColumnElement[bool]:
        """Case-insensitive substring match. SQLite's LIKE already ignores ASCII case, and
        ``lower()`` would cost a copy of every value scanned."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if self.dialect == "sqlite":
            return column.like(pattern, escape="\\")
        return column.ilike(pattern, escape="\\")

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._readers is not None:
            self._readers.shutdown()
        if self._writer is not None:
            self._writer.shutdown()
        if self._sync_engine is not None:
            self._sync_engine.dispose()
