"""Key rules: a key is shown once, stored only as a hash, and belongs to one user."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

from ..core.clock import from_ms, new_id, now_ms
from ..core.errors import Conflict, NotFound
from ..core.identity import Identity
from .orm import ApiKeyRow
from .schemas import KeyCreate, KeyCreated, KeyList, KeyOut, OwnedKeyList, OwnedKeyOut
from .secret import KEY_PREFIX, digest, looks_like_key
from .store import ApiKeyStore

MAX_KEYS_PER_USER = 50
# last_used_at is a hint for people tidying their keys; writing it on every request would
# cost a database write per API call.
TOUCH_EVERY_MS = 60_000
DAY_MS = 86_400_000


def to_out(row: ApiKeyRow) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=from_ms(row.created_at),
        last_used_at=from_ms(row.last_used_at) if row.last_used_at is not None else None,
        expires_at=from_ms(row.expires_at) if row.expires_at is not None else None,
    )


@dataclass(frozen=True, slots=True)
class _Known:
    identity: Identity
    until: float


class ApiKeyService:
    """``cache_ttl``: seconds a checked key is trusted without asking the database again, so
    that a stream's time to first token pays no query. Revoking here takes effect at once;
    a key revoked by another server sharing the database stops working within the TTL."""

    def __init__(self, store: ApiKeyStore, *, cache_ttl: float = 10.0):
        self.store = store
        self.cache_ttl = cache_ttl
        self._known: dict[str, _Known] = {}
        # One database read per key at a time: the requests a script has in flight when its
        # key's entry expires all wait for the same read instead of queueing one each.
        self._reading: dict[str, asyncio.Future[Identity | None]] = {}
        self._revocations = 0

    async def list(self, me: Identity) -> KeyList:
        return KeyList(items=[to_out(r) for r in await self.store.list(me.id)])

    async def create(self, me: Identity, body: KeyCreate) -> KeyCreated:
        secret = KEY_PREFIX + secrets.token_urlsafe(30)
        created = now_ms()
        days = body.expires_in_days
        row = ApiKeyRow(
            id=new_id(),
            user_id=me.id,
            name=body.name.strip() or "key",
            hash=digest(secret),
            prefix=secret[:7],
            created_at=created,
            last_used_at=None,
            expires_at=None if days is None else created + days * DAY_MS,
        )
        if not await self.store.add_within(row, MAX_KEYS_PER_USER):
            raise Conflict(
                f"You already have {MAX_KEYS_PER_USER} API keys; revoke one you no longer use."
            )
        return KeyCreated(**to_out(row).model_dump(), key=secret)

    async def list_all(self) -> OwnedKeyList:
        """Every user's keys, for admins (never the keys themselves)."""
        rows = await self.store.list_all()
        return OwnedKeyList(
            items=[OwnedKeyOut(**to_out(row).model_dump(), owner=owner) for row, owner in rows]
        )

    async def revoke(self, me: Identity, key_id: str) -> None:
        # Another user's key looks exactly like a key that does not exist.
        await self._revoke(me.id, key_id)

    async def revoke_any(self, key_id: str) -> None:
        """Revoke any user's key (admins: a key that leaked, a user who left)."""
        await self._revoke(None, key_id)

    async def _revoke(self, user_id: str | None, key_id: str) -> None:
        removed = await self.store.delete(user_id, key_id)
        if removed is None:
            raise NotFound(f"No API key with id {key_id!r}.")
        self._revocations += 1
        self._known.pop(removed, None)
        # A request from now on must not join a read begun before the key went.
        self._reading.pop(removed, None)

    async def authenticate(self, secret: str) -> Identity | None:
        """The owner of a valid key, or None (unknown, revoked or expired)."""
        if not looks_like_key(secret):
            return None
        key = digest(secret)
        known = self._known.get(key)
        if known is not None and known.until > time.monotonic():
            return known.identity
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(key))
            self._reading[key] = reading
            reading.add_done_callback(
                lambda done: self._reading.pop(key) if self._reading.get(key) is done else None
            )
        # Shielded: a request that goes away does not cancel the read others wait for.
        return await asyncio.shield(reading)

    async def _read(self, key: str) -> Identity | None:
        revocations = self._revocations
        found = await self.store.find(key)
        if found is None:
            self._known.pop(key, None)
            return None
        row, user = found
        at = now_ms()
        if row.expires_at is not None and row.expires_at <= at:
            self._known.pop(key, None)
            return None
        if row.last_used_at is None or at - row.last_used_at > TOUCH_EVERY_MS:
            await self.store.touch(row.id, at)
        identity = Identity(id=user.id, username=user.username, name=user.name, role=user.role)  # type: ignore[arg-type]
        if revocations != self._revocations:
            return identity  # a key revoked meanwhile may be this one: not trusted for later
        now = time.monotonic()
        if len(self._known) > 10_000:
            self._known = {k: v for k, v in self._known.items() if v.until > now}
        trusted = self.cache_ttl
        if row.expires_at is not None:
            # Not trusted past its expiry, however recently it was read.
            trusted = min(trusted, (row.expires_at - at) / 1000)
        self._known[key] = _Known(identity, now + trusted)
        return identity
