"""The access log line of a successful request, skipped when no one would see it.

Jupyter logs each successful request at debug level, and its application logger is set to
DEBUG with the level applied by the handlers. So every request formats a line and builds a
log record (with a walk up the stack) that the console handler then drops. The request
metrics that the same function records are kept.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from jupyter_server.log import log_request
from jupyter_server.prometheus.metrics import HTTP_REQUEST_DURATION_SECONDS


def debug_shown(logger: logging.Logger) -> bool:
    """Whether any handler a record of ``logger`` reaches would write a DEBUG record."""
    if not logger.isEnabledFor(logging.DEBUG):
        return False
    current: logging.Logger | None = logger
    while current is not None:
        if any(h.level <= logging.DEBUG for h in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


def log_quietly(handler: Any) -> bool:
    """Record what Jupyter's log function would, for a success no one sees at debug level.
    False leaves the request to the server's own log function (another function, an
    error, or a debug log that is shown)."""
    function = handler.settings.get("log_function")
    if not (isinstance(function, functools.partial) and function.func is log_request):
        return False
    if handler.get_status() >= 300 or debug_shown(handler.log):
        return False
    if function.keywords.get("record_prometheus_metrics", True):
        _duration(handler.request.method, type(handler), handler.get_status()).observe(
            handler.request.request_time()
        )
    return True


@functools.cache
def _duration(method: str, handler_class: type, status: int) -> Any:
    """The histogram Jupyter records request times in, labelled as Jupyter labels it."""
    name = f"{handler_class.__module__}.{handler_class.__name__}"
    return HTTP_REQUEST_DURATION_SECONDS.labels(method=method, handler=name, status_code=status)
