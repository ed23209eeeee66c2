"""Where the compatible APIs live, beside (not under) the REST API's chat-ext/api."""

from __future__ import annotations

from . import ollama_handlers, openai_handlers

OPENAI_ROOT = "/chat-ext/openai/v1"
# Ollama clients are given this root, and add /api/... themselves.
OLLAMA_ROOT = "/chat-ext/ollama"

# (root, (path, handler) pairs, the handler for any other path under the root)
MOUNTS: list[tuple[str, list[tuple[str, type]], type]] = [
    (OPENAI_ROOT, openai_handlers.routes, openai_handlers.unknown),
    (OLLAMA_ROOT, ollama_handlers.routes, ollama_handlers.unknown),
]
