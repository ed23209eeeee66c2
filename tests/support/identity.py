"""An identity provider for tests: several users on one server, told apart by their token."""

from __future__ import annotations

from jupyter_server.auth.identity import IdentityProvider, User

TOKENS = {
    "alice-token": "alice",
    "bob-token": "bob",
    "admin-token": "admin",
}


def header(user: str | None) -> dict[str, str]:
    """The Authorization header a user sends; None is anonymous."""
    if user is None:
        return {"Authorization": ""}
    return {"Authorization": f"token {user}-token"}


class TokenPerUser(IdentityProvider):
    async def get_user(self, handler) -> User | None:
        scheme, _, token = handler.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "token":
            token = handler.get_argument("token", "")
        name = TOKENS.get(token)
        if name is None:
            return None
        # Token-authenticated requests skip the XSRF check, as with Jupyter's own tokens.
        handler._token_authenticated = True
        return User(username=name, name=name.title(), display_name=name.title())
