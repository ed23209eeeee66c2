"""How Jupyter Server's users map to chat-ext users and roles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jupyter_chat_ext.users.service import UserService


def service(**kwargs) -> UserService:
    defaults = {"shared_identity": False, "admin_users": set(), "owner": "owner"}
    return UserService(store=None, **{**defaults, **kwargs})  # type: ignore[arg-type]


def hub_user(name: str, admin: bool) -> SimpleNamespace:
    return SimpleNamespace(
        username=name, display_name=name, hub_user={"name": name, "admin": admin}
    )


@pytest.mark.parametrize(
    ("user", "kwargs", "expected"),
    [
        (
            SimpleNamespace(username="anon-123", display_name="Anonymous"),
            {"shared_identity": True},
            ("owner", "owner", "admin"),
        ),
        (SimpleNamespace(username="carol", display_name="Carol"), {}, ("carol", "Carol", "user")),
        (
            SimpleNamespace(username="carol", display_name="Carol"),
            {"admin_users": {"carol"}},
            ("carol", "Carol", "admin"),
        ),
        (hub_user("dave", admin=True), {}, ("dave", "dave", "admin")),
        (hub_user("erin", admin=False), {}, ("erin", "erin", "user")),
        (hub_user("owner", admin=False), {}, ("owner", "owner", "admin")),
        (hub_user("owner", admin=False), {"owner_is_admin": False}, ("owner", "owner", "user")),
    ],
)
def test_describe(user, kwargs, expected):
    assert service(**kwargs).describe(user) == expected
