"""A causal language model run inside the server process, for use without any model server."""

from .client import LocalModelClient

__all__ = ["LocalModelClient"]
