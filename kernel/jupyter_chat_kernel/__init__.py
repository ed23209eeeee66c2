"""Use a jupyter-chat-ext server from inside a Jupyter kernel.

>>> from jupyter_chat_kernel import Client
>>> with Client() as chat:  # finds the server that runs this kernel
...     detail = chat.create_chat("Notes", [("user", "Hello")])
"""

from ._client import AsyncClient, Client
from ._connection import Connection, ConnectionNotFound, discover
from ._errors import ChatError
from ._types import ChatDetail, ChatPage, ChatSummary, MessageOut, UserOut
from ._version import __version__

__all__ = [
    "AsyncClient",
    "ChatDetail",
    "ChatError",
    "ChatPage",
    "ChatSummary",
    "Client",
    "Connection",
    "ConnectionNotFound",
    "MessageOut",
    "UserOut",
    "__version__",
    "discover",
]
