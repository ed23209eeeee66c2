"""Where the compatible APIs live, beside (not under) the REST API's chat-ext/api."""

from __future__ import annotations

from . import ollama_handlers, openai_handlers

OPENAI_ROOT = "/chat-ext/openai/v1"
OLLAMA_ROOT = "/chat-ext/ollama/api"

# (root, (path, handler) pairs)
MOUNTS: list[tuple[str, list[tuple[str, type]]]] = [
    (OPENAI_ROOT, openai_handlers.routes),
    (OLLAMA_ROOT, ollama_handlers.routes),
]
