"""A connection whose model list is slow: the server looks a model up before it begins an
answer, so a question to one of its models waits there, with nothing begun yet to stop."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from jupyter_chat_ext.testing.upstream import Faults, UpstreamThread


@contextmanager
def slow_model_list(
    api: httpx.Client, model: str = "slow-lister", prefix: str = ""
) -> Iterator[UpstreamThread]:
    """A connection whose model list takes 5 s: the server's list waits for it, and so does
    a question to one of its models. Yields that connection's upstream."""
    slow_listing = Faults(first_token_delay=5.0, paths=("/v1/models",))
    with UpstreamThread(models=(model,), faults=slow_listing) as slow:
        body = {"kind": "openai", "base_url": slow.openai_url, "name": "Slow", "prefix": prefix}
        created = api.post("connections", json=body)
        assert created.status_code == 201, created.text
        try:
            yield slow
        finally:
            api.delete(f"connections/{created.json()['id']}")
