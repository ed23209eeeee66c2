"""The extension's handlers, registered once the server runs instead of while it starts.

The handler modules import pydantic and every schema, a few hundred milliseconds that would
otherwise sit between ``jupyter server`` and its first answer. The extension puts this router
in front of its URL prefixes instead. The handlers are registered through Jupyter's own
``add_handlers`` (with its check that every method is authenticated), as soon as a worker
thread has imported them or when the first request for one of those URLs comes, whichever is
sooner; from then on this router steps aside and tornado goes on to the real routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tornado import httputil, web
from tornado.routing import Router

Rules = list[tuple[str, type, dict[str, Any]]]


class DeferredRoutes(Router):
    def __init__(self, application: web.Application, load: Callable[[], Rules]):
        self.application = application
        self._load: Callable[[], Rules] | None = load

    def register(self) -> None:
        if self._load is not None:
            rules = self._load()
            self._load = None
            self.application.add_handlers(".*$", rules)

    def find_handler(
        self, request: httputil.HTTPServerRequest, **kwargs: Any
    ) -> httputil.HTTPMessageDelegate | None:
        # Rules added now come after this one, so returning None hands the request to them.
        self.register()
        return None
