"""Users: recorded on first sight, with the admin role for configured and owner identities."""

from __future__ import annotations


async def test_me_per_user(api):
    alice = (await api("GET", "users/me")).json()
    assert (alice["username"], alice["name"], alice["role"]) == ("alice", "Alice", "user")
    assert (await api("GET", "users/me")).json()["id"] == alice["id"]
    admin = (await api.as_("admin")("GET", "users/me")).json()
    assert admin["role"] == "admin" and admin["id"] != alice["id"]
    assert (await api.as_(None)("GET", "users/me")).status == 403
