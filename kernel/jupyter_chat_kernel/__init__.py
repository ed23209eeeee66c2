"""Use a jupyter-chat-ext server from inside a Jupyter kernel.

>>> from jupyter_chat_kernel import Client
>>> with Client() as chat:  # finds the server that runs this kernel
...     detail = chat.create_chat("Notes", [("user", "Hello")])

In IPython, ``%load_ext jupyter_chat_kernel`` adds the ``%chat``, ``%%chat`` and
``%chat_models`` magics; ``ChatWidget`` is a chat in a notebook output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._async_client import AsyncClient
from ._client import Client
from ._connection import Connection, ConnectionNotFound, discover
from ._errors import ChatError
from ._stream import AsyncCompletionStream, CompletionStream
from ._types import (
    ChatDetail,
    ChatPage,
    ChatSummary,
    CompletionDone,
    CompletionResult,
    CompletionStart,
    MessageOut,
    ModelList,
    ModelOut,
    ReasoningDelta,
    TextDelta,
    Usage,
    UserOut,
)
from ._version import __version__

if TYPE_CHECKING:
    from ._widget import ChatWidget

__all__ = [
    "AsyncClient",
    "AsyncCompletionStream",
    "ChatDetail",
    "ChatError",
    "ChatPage",
    "ChatSummary",
    "ChatWidget",
    "Client",
    "CompletionDone",
    "CompletionResult",
    "CompletionStart",
    "CompletionStream",
    "Connection",
    "ConnectionNotFound",
    "MessageOut",
    "ModelList",
    "ModelOut",
    "ReasoningDelta",
    "TextDelta",
    "Usage",
    "UserOut",
    "__version__",
    "discover",
]


def __getattr__(name: str) -> Any:
    # The widget pulls in anywidget and ipywidgets: only for those who use it.
    if name == "ChatWidget":
        from ._widget import ChatWidget

        return ChatWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_chat_kernel``: register the chat magics."""
    from ._magics import ChatMagics, keep_question_marks

    ipython.register_magics(ChatMagics(ipython))
    transforms = ipython.input_transformer_manager.line_transforms
    if keep_question_marks not in transforms:
        transforms.append(keep_question_marks)


def unload_ipython_extension(ipython: Any) -> None:
    from ._magics import keep_question_marks

    magics = ipython.magics_manager.registry.get("ChatMagics")
    if magics is not None:
        magics.session.close()
    transforms = ipython.input_transformer_manager.line_transforms
    if keep_question_marks in transforms:
        transforms.remove(keep_question_marks)
