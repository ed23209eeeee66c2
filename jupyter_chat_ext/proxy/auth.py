"""Who is calling a compatible API: a Jupyter user as usual, or the owner of an API key.

An API key is sent as ``Authorization: Bearer cx-...``, the way OpenAI and Ollama clients send
theirs. It is checked here and only here: Jupyter's own identity provider has never heard of
it, so every other handler of the server (contents, kernels, ...) refuses it.
"""

from __future__ import annotations

from jupyter_server.auth.identity import User
from tornado import web

from ..apikeys.secret import looks_like_key
from ..core.handlers import ApiHandler


def bearer(authorization: str) -> str | None:
    scheme, _, secret = authorization.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


class KeyAuthHandler(ApiHandler):
    """A REST handler that also accepts chat-ext API keys. Subclasses keep
    ``@web.authenticated`` and ``@authorized`` on every method, which hold for both."""

    _key_authenticated = False

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
            raise web.HTTPError(401, "Invalid or revoked API key.")
        self.identity = identity
        self.current_user = self._jupyter_current_user = User(
            username=identity.username, name=identity.name, display_name=identity.name
        )
        # A key, like a token, is sent deliberately by a script and never by a browser on
        # its own, so neither XSRF nor origin checks apply (Jupyter treats tokens the same way).
        self._key_authenticated = self._token_authenticated = True
        self.set_cors_headers()

    @property
    def token_authenticated(self) -> bool:
        return self._key_authenticated or super().token_authenticated

    def skip_check_origin(self) -> bool:
        return self._key_authenticated or super().skip_check_origin()
