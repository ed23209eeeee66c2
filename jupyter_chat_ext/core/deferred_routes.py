"""The extension's handlers, registered once the server runs instead of while it starts.

The handler modules import pydantic and every schema, a few hundred milliseconds that would
otherwise sit between ``jupyter server`` and its first answer. The extension puts this router
in front of its URL prefixes instead. The handlers are registered through Jupyter's own
``add_handlers`` (with its check that every method is authenticated), as soon as a worker
thread has imported them or when the first request for one of those URLs comes, whichever is
sooner; from then on the real routes stand where this router stood.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tornado import httputil, web
from tornado.routing import Router, Rule

Rules = list[tuple[str, type, dict[str, Any]]]


class DeferredRoutes(Router):
    def __init__(self, application: web.Application, load: Callable[[], Rules]):
        self.application = application
        self._load: Callable[[], Rules] | None = load
        self._routes: list[Rule] = []

    def register(self) -> None:
        if self._load is None:
            return
        table = self._load()
        self._load = None
        rules = self.application.default_router.rules
        before = {id(rule) for rule in rules}
        self.application.add_handlers(".*$", table)
        self._routes = [rule for rule in rules if id(rule) not in before]
        # Tornado puts them after every other extension's routes, so that each URL would be
        # matched against all of those first. The extension's URLs are its own (its
        # prefixes): its routes take this router's place instead, at the front.
        here = [i for i, rule in enumerate(rules) if self._holds_me(rule)]
        if here:
            for rule in self._routes:
                rules.remove(rule)
            # One rule for one: tornado may be iterating the list (a first request).
            rules[here[0] : here[0] + 1] = self._routes

    def _holds_me(self, rule: Rule) -> bool:
        return any(inner.target is self for inner in getattr(rule.target, "rules", ()))

    def find_handler(
        self, request: httputil.HTTPServerRequest, **kwargs: Any
    ) -> httputil.HTTPMessageDelegate | None:
        # Only a request that comes before the routes are registered gets here.
        self.register()
        for rule in self._routes:
            if rule.matcher.match(request) is not None:
                delegate = rule.target.find_handler(request, **kwargs)
                if delegate is not None:
                    return delegate
        return None
