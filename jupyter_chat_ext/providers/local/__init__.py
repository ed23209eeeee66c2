"""A causal language model and an embedding model run inside the server process, for use
without any model server."""

from .client import LocalModelClient
from .embedder import LocalEmbedder

__all__ = ["LocalEmbedder", "LocalModelClient"]
