"""Requests that carry the server's own token, recognised without a login cookie.

Jupyter's stock identity provider answers a token request by making a new anonymous user
and signing a login cookie for it, on every request that does not send one back. Scripts
(the kernel client, OpenAI and Ollama clients) never do, so each of their calls paid for a
cookie nobody keeps. For exactly that case (stock provider, the token sent, no login cookie)
the request is taken here as Jupyter would take it, as one anonymous token user per process;
anything else goes through Jupyter's provider unchanged.
"""

from __future__ import annotations

import hmac
from typing import Any

from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider, User

# Only the providers whose token handling is known; subclasses (JupyterHub's) may differ.
_STOCK = (IdentityProvider, PasswordIdentityProvider)

_token_user: User | None = None


def server_token_user(handler: Any) -> User | None:
    """The user a request sending the server's token stands for, or None to leave the
    request to Jupyter's identity provider."""
    provider = handler.identity_provider
    if type(provider) not in _STOCK:
        return None
    token = provider.token
    if not token or handler.get_cookie(provider.get_cookie_name(handler)) is not None:
        return None
    sent = provider.get_token(handler)
    if not sent or not hmac.compare_digest(sent.encode(), token.encode()):
        return None
    global _token_user
    if _token_user is None:
        _token_user = provider.generate_anonymous_user(handler)
    return _token_user
