"""The in-process local model providers, chat and embeddings (see ``providers/local/``).

Importing this module imports neither torch nor transformers; the first answer does.
"""

from .local import LocalEmbedder, LocalModelClient

DEFAULT_LOCAL_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"

__all__ = ["DEFAULT_LOCAL_MODEL", "LocalEmbedder", "LocalModelClient"]
