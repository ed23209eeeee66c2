"""The in-process local model provider (see ``providers/local/``).

Importing this module imports neither torch nor transformers; the first answer does.
"""

from .local import LocalModelClient

DEFAULT_LOCAL_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"

__all__ = ["DEFAULT_LOCAL_MODEL", "LocalModelClient"]
