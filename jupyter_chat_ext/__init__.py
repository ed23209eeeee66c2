"""jupyter-chat-ext: an LLM chat workspace inside Jupyter."""

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_server_extension_points() -> list[dict]:
    from .app import ChatExtApp

    return [{"module": "jupyter_chat_ext.app", "app": ChatExtApp}]


def _jupyter_labextension_paths() -> list[dict]:
    return [{"src": "labextension", "dest": "jupyter-chat-ext"}]
