"""Who is calling a compatible API: a Jupyter user as usual, or the owner of an API key.

An API key is sent as ``Authorization: Bearer cx-...``, the way OpenAI and Ollama clients send
theirs. It is checked here and only here: Jupyter's own identity provider has never heard of
it, so every other handler of the server (contents, kernels, ...) refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jupyter_server.auth.identity import User
from tornado import web

from ..apikeys.secret import looks_like_key
from ..core.handlers import ApiHandler
from ..core.identity import Identity


@dataclass
class KeyUser(User):
    """Whom an API key stands for. Under JupyterHub, ``hub_user`` carries what the hub's
    authorizer checks."""

    hub_user: dict[str, Any] | None = None


def bearer(authorization: str) -> str | None:
    scheme, _, secret = authorization.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


class KeyAuthHandler(ApiHandler):
    """A REST handler that also accepts chat-ext API keys. Subclasses keep
    ``@web.authenticated`` and ``@authorized`` on every method, which hold for both."""

    _key_authenticated = False
    # A real key that this server does not take (another hub user's).
    key_refused = False
    # A Host header this server does not answer for (ServerApp.allow_remote_access).
    host_refused = False

    def check_host(self) -> bool:
        allowed = super().check_host()
        self.host_refused = not allowed
        return allowed

    async def prepare(self) -> None:
        secret = bearer(self.request.headers.get("Authorization", ""))
        if secret is None or not looks_like_key(secret):
            await super().prepare()
            return
        # Set before anything can fail, so that logging the request finds a user (or none).
        self.current_user = self._jupyter_current_user = None
        if not self.check_host():
            raise web.HTTPError(403)
        identity = await (await self.ctx.services()).keys.authenticate(secret)
        if identity is None:
            # Never handed on to Jupyter's identity provider: a cx- key is not a Jupyter token.
            raise web.HTTPError(401, "Invalid, revoked or expired API key.")
        hub_owner = self.ctx.hub_owner
        if hub_owner is not None and identity.username != hub_owner:
            # JupyterHub lets only its owner (and whom the hub allows) into this server; a key
            # is its owner's alone, good on their own server only.
            self.key_refused = True
            raise web.HTTPError(403, "This API key works on its owner's own server only.")
        self.identity = identity
        self.current_user = self._jupyter_current_user = KeyUser(
            username=identity.username,
            name=identity.name,
            display_name=identity.name,
            hub_user=self._hub_model(identity) if hub_owner is not None else None,
        )
        # A key, like a token, is sent deliberately by a script and never by a browser on
        # its own, so neither XSRF nor origin checks apply (Jupyter treats tokens the same way).
        self._key_authenticated = self._token_authenticated = True
        self.set_cors_headers()

    def _hub_model(self, identity: Identity) -> dict[str, Any]:
        """The hub's account of the owner, as JupyterHub's authorizer reads it: the owner of
        a server holds the scopes that give access to it."""
        hub_auth = getattr(self.authorizer, "hub_auth", None)
        scopes = sorted(getattr(hub_auth, "oauth_scopes", None) or ())
        return {"kind": "user", "name": identity.username, "scopes": scopes}

    @property
    def token_authenticated(self) -> bool:
        return self._key_authenticated or super().token_authenticated

    def skip_check_origin(self) -> bool:
        return self._key_authenticated or super().skip_check_origin()
