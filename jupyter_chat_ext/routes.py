"""Every URL the extension serves, and the REST API's OpenAPI document built from them.

Importing this module imports every handler and schema (pydantic among them), so the
extension imports it once the server runs, in the worker thread that prepares the services
(see ``core/deferred_routes.py``).
"""

from __future__ import annotations

import functools
from typing import Any

from jupyter_server.utils import url_path_join

from ._version import __version__
from .apikeys import handlers as apikeys_handlers
from .chats import handlers as chats_handlers
from .completions import handlers as completions_handlers
from .core.context import HandlerContext
from .core.handlers import UnknownRouteHandler
from .core.openapi import OpenApiHandler, build_document
from .events import handlers as events_handlers
from .folders import handlers as folders_handlers
from .models import handlers as models_handlers
from .presets import handlers as presets_handlers
from .providers import handlers as providers_handlers
from .proxy import openapi as proxy_openapi
from .proxy.mounts import MOUNTS as PROXY_MOUNTS
from .users import handlers as users_handlers

API_ROOT = "/chat-ext/api"

# The REST API's routes (path under API_ROOT, handler); each handler names its services.
API_ROUTES: list[tuple[str, type]] = [
    *users_handlers.routes,
    *apikeys_handlers.routes,
    *chats_handlers.routes,
    *folders_handlers.routes,
    *events_handlers.routes,
    *providers_handlers.routes,
    *models_handlers.routes,
    *completions_handlers.routes,
    *presets_handlers.routes,
    ("/openapi.json", OpenApiHandler),
]


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The REST API's OpenAPI document, built from the handler classes alone."""
    document = build_document(API_ROUTES, title="jupyter-chat-ext", version=__version__)
    return proxy_openapi.extend(document)


def rules(base_url: str, ctx: HandlerContext) -> list[tuple[str, type, dict[str, Any]]]:
    """(pattern, handler, kwargs) for every URL, the catch-all of each API last."""
    kwargs = {"ctx": ctx}
    found = []
    # The OpenAI- and Ollama-compatible APIs, beside the REST API; they also take API keys.
    # First, as the URLs that programs call at the highest rates (each API has its own prefix,
    # so the order is only the order in which tornado tries them).
    for root, pairs, unknown in PROXY_MOUNTS:
        found.extend((root + path, cls, kwargs) for path, cls in pairs)
        found.append((root + "/.*", unknown, kwargs))
    for path, cls in API_ROUTES:
        extra = {**kwargs, "document": openapi_document} if cls is OpenApiHandler else kwargs
        found.append((API_ROOT + path, cls, extra))
    found.append((API_ROOT + "/.*", UnknownRouteHandler, kwargs))
    return [(url_path_join(base_url, pattern), cls, kw) for pattern, cls, kw in found]
