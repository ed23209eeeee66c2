"""Checking API keys: one database read per key at a time, and a revoked key never trusted."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from jupyter_chat_ext.apikeys.secret import digest
from jupyter_chat_ext.apikeys.service import ApiKeyService
from tests.support.waiting import until

SECRET = "cx-" + "k" * 40
ME = SimpleNamespace(id="u1")


class Store:
    """The key store's calls, counted; each read waits until released."""

    def __init__(self) -> None:
        self.finds = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.revoked = False

    async def find(self, key: str):
        self.finds += 1
        # The row as the read found it, before any revocation that comes while it waits.
        found = None if self.revoked else SimpleNamespace(id="k1", last_used_at=1, expires_at=None)
        await self.gate.wait()
        if found is None or key != digest(SECRET):
            return None
        user = SimpleNamespace(id="u1", username="alice", name="Alice", role="user")
        return found, user

    async def touch(self, key_id: str, at: int) -> None:
        pass

    async def delete(self, user_id: str | None, key_id: str) -> str | None:
        self.revoked = True
        return digest(SECRET)


@pytest.mark.asyncio
async def test_requests_in_flight_share_one_read_of_their_key():
    store = Store()
    store.gate.clear()
    keys = ApiKeyService(store, cache_ttl=60)  # type: ignore[arg-type]
    waiting = [asyncio.ensure_future(keys.authenticate(SECRET)) for _ in range(50)]
    await until(lambda: store.finds == 1)
    waiting[0].cancel()  # a request that goes away does not cancel the others' read
    store.gate.set()
    found = await asyncio.gather(*waiting[1:])
    assert {who.username for who in found} == {"alice"}
    assert store.finds == 1
    assert (await keys.authenticate(SECRET)).username == "alice"
    assert store.finds == 1, "trusted for cache_ttl"


async def revoked_while_read():
    """A key revoked while a request's read of it waits on the database."""
    store = Store()
    store.gate.clear()
    keys = ApiKeyService(store, cache_ttl=60)  # type: ignore[arg-type]
    racing = asyncio.ensure_future(keys.authenticate(SECRET))
    await until(lambda: store.finds == 1)
    await keys.revoke(ME, "k1")  # type: ignore[arg-type]
    return store, keys, racing


@pytest.mark.asyncio
async def test_a_key_revoked_while_it_is_read_is_not_trusted_afterwards():
    store, keys, racing = await revoked_while_read()
    store.gate.set()
    # The request that raced the revocation got in; nothing after it does.
    assert (await racing).username == "alice"
    assert await keys.authenticate(SECRET) is None
    assert store.finds == 2


@pytest.mark.asyncio
async def test_a_request_made_after_revocation_never_joins_an_earlier_read():
    store, keys, racing = await revoked_while_read()
    later = asyncio.ensure_future(keys.authenticate(SECRET))
    await until(lambda: store.finds == 2)  # a read of its own, begun after the revocation
    store.gate.set()
    assert (await racing).username == "alice"
    assert await later is None
