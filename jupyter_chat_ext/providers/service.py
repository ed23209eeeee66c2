"""Connection rules: admins only, keys masked, seeds from configuration, and verification."""

from __future__ import annotations

import asyncio
import logging
import time

from ..core.clock import from_ms, new_id, now_ms
from ..core.errors import Forbidden, NotFound, ValidationFailed
from ..core.identity import Identity
from ..core.refreshed import Refreshed
from .base import ModelClient, UpstreamError, UpstreamModel
from .local_client import LocalEmbedder, LocalModelClient
from .ollama_client import OllamaClient
from .openai_client import OpenAIClient
from .orm import ConnectionRow
from .schemas import ConnectionCreate, ConnectionList, ConnectionOut, ConnectionUpdate, VerifyResult
from .seeds import Seed
from .store import ConnectionStore
from .transport import UpstreamTransport
from .urls import SERVER, check_url, credential, host_label, origin, redact, restore, where

log = logging.getLogger(__name__)

# Seconds a list of enabled connections is reused when nothing changed in this process.
_ENABLED_TTL = 5.0


def mask(secret: str) -> str:
    """Enough to recognise a key, never enough to use it: its end, and its start (the kind
    of key, "sk-") only when long enough that the two stay a small part of it."""
    if not secret:
        return ""
    if len(secret) <= 12:
        return "****"
    if len(secret) < 24:
        return f"****{secret[-4:]}"
    return f"{secret[:3]}****{secret[-4:]}"


def _unmasked(sent: str, stored: str) -> str:
    """A secret sent back as it was shown (masked) means the stored one."""
    return stored if stored and sent == mask(stored) else sent


def _unmasked_headers(sent: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    held = {name.lower(): value for name, value in stored.items()}
    return {name: _unmasked(value, held.get(name.lower(), "")) for name, value in sent.items()}


def _given_again(name: str, changes: dict, row: ConnectionRow) -> bool:
    if name not in changes:
        return False
    if name == "api_key":
        return not (row.api_key and changes["api_key"] == mask(row.api_key))
    held = {k.lower(): v for k, v in (row.headers or {}).items()}
    sent = changes["headers"]
    return not any(held.get(k.lower()) and v == mask(held[k.lower()]) for k, v in sent.items())


def _check_key(row: ConnectionRow) -> None:
    if row.kind == "ollama" and row.api_key:
        raise ValidationFailed(
            "'api_key': an Ollama connection takes no API key. A server behind a proxy that "
            "wants one gets it as an Authorization header, under the extra headers."
        )
    if row.api_key and any(name.lower() == "authorization" for name in row.headers or {}):
        raise ValidationFailed(
            "'headers': an Authorization header would be sent beside the API key. Give the key "
            "in one place: as the API key or as that header."
        )


def to_out(row: ConnectionRow) -> ConnectionOut:
    return ConnectionOut(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        name=row.name,
        base_url=redact(row.base_url) if row.kind != "local" else row.base_url,
        api_key=mask(row.api_key),
        prefix=row.prefix,
        model_ids=list(row.model_ids or []),
        headers={k: mask(str(v)) for k, v in (row.headers or {}).items()},
        enabled=row.enabled,
        origin=row.origin,  # type: ignore[arg-type]
        created_at=from_ms(row.created_at),
        updated_at=from_ms(row.updated_at),
    )


_KINDS = {"openai": "OpenAI", "ollama": "Ollama"}


def default_name(kind: str, base_url: str) -> str:
    if kind == "local":
        return f"Local ({base_url.rstrip('/').rsplit('/', 1)[-1]})"
    return f"{_KINDS[kind]} ({host_label(base_url)})"


def shown_name(row: ConnectionRow, admin: bool) -> str:
    """A connection's name as a user is shown it. A default name holds the server's host and
    port, which only admins learn (as with its errors): others see the kind of server."""
    if admin or row.kind == "local" or row.name != default_name(row.kind, row.base_url):
        return row.name
    return _KINDS[row.kind]


def _names_password(row: ConnectionRow) -> bool:
    secret = credential(row.base_url)
    return bool(secret) and secret in row.name


def _new_url(row: ConnectionRow, changes: dict) -> str:
    """The URL an update moves a connection to. The connection's secrets were shown masked, so
    they go to another server only when the same request gives them again: whoever changes
    the URL must know them, not merely be able to redirect them."""
    url = restore(changes["base_url"], row.base_url)
    if url is None:
        raise ValidationFailed(
            "'base_url': type the URL's password again (it was shown masked) or leave the URL "
            "as it is."
        )
    if origin(url) != origin(row.base_url):
        # A secret sent back masked is not given again: it was only read off the screen.
        missing = [
            name
            for name, held in (("api_key", row.api_key), ("headers", row.headers))
            if held and not _given_again(name, changes, row)
        ]
        if missing:
            raise ValidationFailed(
                f"'base_url': moving the connection to {origin(url)} needs its "
                f"{' and '.join(missing)} again in the same request (empty for none)."
            )
    return url


def _keep_configured(row: ConnectionRow, changes: dict) -> None:
    """A connection named by configuration takes its URL and key from there at every start:
    changed here, they would quietly change back."""
    url = changes.get("base_url")
    moved = url is not None and restore(url, row.base_url) != row.base_url
    rekeyed = "api_key" in changes and _unmasked(changes["api_key"], row.api_key) != row.api_key
    if moved or rekeyed:
        where_set = (
            "ChatExtApp's settings" if row.origin == "config" else "the environment variables"
        )
        raise ValidationFailed(
            f"'{'base_url' if moved else 'api_key'}': this connection comes from "
            f"{where_set}, so it is changed there. Its name, prefix, models, headers and "
            "whether it is enabled can be changed here."
        )


class ConnectionService:
    def __init__(
        self,
        store: ConnectionStore,
        http: UpstreamTransport,
        timeout: float,
        local_idle_timeout: float = 600.0,
        read_timeout: float = 300.0,
        local_embedding_model: str = "",
    ):
        self.store = store
        self.http = http
        self.timeout = timeout
        self.read_timeout = read_timeout
        self.local_idle_timeout = local_idle_timeout
        # Of the local connections, the one configured as the embedding model makes vectors.
        self.local_embedding_model = local_embedding_model
        # A local model stays loaded between answers, so its client outlives a request.
        self._local: dict[str, LocalModelClient | LocalEmbedder] = {}
        self._enabled = Refreshed(self._read_enabled, _ENABLED_TTL, "connections")

    def _admin(self, me: Identity) -> None:
        if not me.is_admin:
            raise Forbidden("Only admins manage connections.")

    async def _require(self, connection_id: str) -> ConnectionRow:
        row = await self.store.get(connection_id)
        if row is None:
            raise NotFound(f"No connection with id {connection_id!r}.")
        return row

    async def list(self, me: Identity) -> ConnectionList:
        self._admin(me)
        return ConnectionList(items=[to_out(r) for r in await self.store.list()])

    async def create(self, me: Identity, body: ConnectionCreate) -> ConnectionOut:
        self._admin(me)
        now = now_ms()
        row = ConnectionRow(
            id=new_id(),
            kind=body.kind,
            name=body.name.strip() or default_name(body.kind, body.base_url),
            base_url=body.base_url,
            api_key=body.api_key.strip(),
            prefix=body.prefix.strip(),
            model_ids=body.model_ids,
            headers=body.headers,
            enabled=body.enabled,
            origin="api",
            created_at=now,
            updated_at=now,
        )
        _check_key(row)
        row = await self.store.save(row)
        self._enabled.invalidate()
        return to_out(row)

    async def update(
        self, me: Identity, connection_id: str, body: ConnectionUpdate
    ) -> ConnectionOut:
        self._admin(me)
        row = await self._require(connection_id)
        changes = {}
        for name in body.model_fields_set:
            value = getattr(body, name)
            if value is None:
                # Omitted keeps a value and "" clears a text: null would be a guess at either.
                raise ValidationFailed(f"'{name}' cannot be null.")
            changes[name] = value.strip() if isinstance(value, str) else value
        if "base_url" in changes and row.kind != "local":
            problem = check_url(changes["base_url"])
            if problem:
                raise ValidationFailed(f"'base_url': {problem}")
        if row.origin != "api":
            _keep_configured(row, changes)
        # Before the masks are read as the stored secrets: a move needs the real ones.
        if "base_url" in changes:
            changes["base_url"] = _new_url(row, changes)
        if "api_key" in changes:
            changes["api_key"] = _unmasked(changes["api_key"], row.api_key)
        if "headers" in changes:
            changes["headers"] = _unmasked_headers(changes["headers"], row.headers or {})
        for name, value in changes.items():
            setattr(row, name, value)
        _check_key(row)
        if not row.name:
            row.name = default_name(row.kind, row.base_url)
        row.updated_at = now_ms()
        row = await self.store.save(row)
        self._enabled.invalidate()
        return to_out(row)

    async def delete(self, me: Identity, connection_id: str) -> None:
        self._admin(me)
        if not await self.store.delete(connection_id):
            raise NotFound(f"No connection with id {connection_id!r}.")
        self._enabled.invalidate()

    async def verify(self, me: Identity, connection_id: str) -> VerifyResult:
        self._admin(me)
        row = await self._require(connection_id)
        started = time.perf_counter()
        try:
            models = await self.list_models(row)
        except UpstreamError as error:
            return VerifyResult(
                ok=False,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                status=error.status,
                error=error.message,
            )
        listed = {m.id for m in models}
        allowed = [i for i in row.model_ids or () if i in listed] if row.model_ids else listed
        return VerifyResult(
            ok=True,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            model_count=len(allowed),
            missing=[i for i in row.model_ids or () if i not in listed],
        )

    async def enabled(self) -> list[ConnectionRow]:
        """The enabled connections, re-read after any change made here and otherwise every
        few seconds (another server may share the database): every completion asks."""
        return await self._enabled.get()

    async def _read_enabled(self) -> list[ConnectionRow]:
        return [r for r in await self.store.list() if r.enabled]

    async def list_models(self, row: ConnectionRow) -> list[UpstreamModel]:
        """A connection's models within its timeout, however slowly the server sends them;
        whatever goes wrong is this connection's error alone."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self.client(row).models()
        except UpstreamError:
            raise
        except TimeoutError:
            raise UpstreamError(
                "timeout",
                f"{where(row.base_url)} did not list its models in {self.timeout:g} s",
                public=f"The {SERVER} did not list its models in {self.timeout:g} s",
            ) from None
        except Exception as error:
            # A server's answer is foreign data; a shape nobody foresaw must not reach the
            # other connections' models.
            log.warning("Listing the models of %s failed", where(row.base_url), exc_info=True)
            raise UpstreamError(
                "malformed", f"The model list could not be read ({type(error).__name__})."
            ) from None

    def client(self, row: ConnectionRow) -> ModelClient:
        if row.kind == "local":
            client = self._local.get(row.base_url)
            if client is None:
                kind = (
                    LocalEmbedder
                    if row.base_url == self.local_embedding_model
                    else LocalModelClient
                )
                client = kind(row.base_url, idle_timeout=self.local_idle_timeout)
                self._local[row.base_url] = client
            return client
        headers = {str(k): str(v) for k, v in (row.headers or {}).items()}
        if row.kind == "ollama":
            return OllamaClient(
                self.http,
                row.base_url,
                headers=headers,
                timeout=self.timeout,
                read_timeout=self.read_timeout,
            )
        return OpenAIClient(
            self.http,
            row.base_url,
            api_key=row.api_key,
            headers=headers,
            timeout=self.timeout,
            read_timeout=self.read_timeout,
        )

    async def close(self) -> None:
        await self._enabled.aclose()
        for client in self._local.values():
            await client.close()
        self._local.clear()

    async def apply_seeds(self, seeds: list[Seed]) -> None:
        """Configuration is the source of truth for the rows it names: their URL and key follow
        it, and a row it no longer names goes; whether they are enabled stays the admins'
        choice. A URL named twice (by the settings and the environment, say) is one
        connection, with the first key given for it."""
        chosen: dict[tuple[str, str], Seed] = {}
        for seed in seeds:
            first = chosen.setdefault((seed.kind, seed.base_url), seed)
            if first is not seed and seed.api_key and seed.api_key != first.api_key:
                log.warning(
                    "%s is configured more than once with different keys; the first is used.",
                    where(seed.base_url),
                )
        rows = await self.store.list()
        existing: dict[tuple[str, str], ConnectionRow] = {}
        for row in rows:
            key = (row.kind, row.base_url)
            if row.origin not in ("config", "env"):
                continue
            if key not in chosen or key in existing:
                await self.store.delete(row.id)  # no longer configured, or a duplicate
            else:
                existing[key] = row
        for row in rows:
            # A connection made here for a URL configuration now names is taken over.
            if row.origin not in ("config", "env"):
                existing.setdefault((row.kind, row.base_url), row)
        now = now_ms()
        for place, (key, seed) in enumerate(chosen.items()):
            row = existing.get(key)
            if row is None:
                # Made in the configuration's order, a millisecond apart: where two list the
                # same model id, the older serves it, and a tie would leave that to the
                # database's whim (PostgreSQL's order changes when a row is edited).
                created = now + place
                row = ConnectionRow(
                    id=new_id(),
                    kind=seed.kind,
                    name=default_name(seed.kind, seed.base_url),
                    base_url=seed.base_url,
                    api_key=seed.api_key,
                    prefix="",
                    model_ids=[],
                    headers={},
                    enabled=True,
                    origin=seed.origin,
                    created_at=created,
                    updated_at=created,
                )
            elif (
                row.api_key == seed.api_key
                and row.origin == seed.origin
                and not _names_password(row)
            ):
                continue
            else:
                # The configuration's key; and a connection made over REST for a URL it now
                # names is taken over: its URL and key are changed where they are configured
                # from now on, and it goes when the configuration no longer names it.
                row.api_key, row.origin = seed.api_key, seed.origin
                if _names_password(row):  # named by an older version
                    row.name = default_name(row.kind, row.base_url)
                row.updated_at = now
            await self.store.save(row)
        self._enabled.invalidate()
