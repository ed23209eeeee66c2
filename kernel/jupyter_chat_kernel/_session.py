"""Which chat and which model a kernel's ``%chat`` cells talk to.

By default a notebook has one chat: the server's newest chat tagged with the notebook's tag,
made when the notebook first asks. Jupyter Server tells a kernel its notebook through the
``JPY_SESSION_NAME`` environment variable, so the same chat comes back after a kernel restart
and is the one the Chats panel shows. A kernel without a notebook (a console, a script) keeps
one chat for its lifetime. ``--chat`` switches chats for the cells that follow.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

from ._client import Client
from ._connection import DISCOVERY_VARS
from ._errors import ChatError

NOTEBOOK_ENV = "JPY_SESSION_NAME"
MODEL_ENV = "JUPYTER_CHAT_MODEL"
_TAG_LIMIT = 100


def notebook_tag(path: str) -> str:
    """The tag marking a notebook's chat: its file name and a digest of its whole path."""
    digest = hashlib.sha256(path.encode()).hexdigest()[:8]
    name = os.path.basename(path.rstrip("/\\")) or path
    room = _TAG_LIMIT - len("notebook:") - len(digest) - 1
    return f"notebook:{name[:room]}#{digest}"


class Session:
    """The kernel's chat state: the client (made on first use), the current chat, the model."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._client: Client | None = None
        self._found_with: tuple[str, ...] = ()
        self.chat_id: str | None = None
        self.model: str | None = None

    @property
    def client(self) -> Client:
        # A failure's message says to set JUPYTER_CHAT_URL: set in the kernel (%env), it counts
        # from the next cell on.
        found_with = tuple(os.environ.get(name, "") for name in DISCOVERY_VARS)
        if self._client is not None and found_with != self._found_with:
            self.close()
        if self._client is None:
            self._client = Client()
            self._found_with = found_with
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def notebook(self) -> str | None:
        return self._environ.get(NOTEBOOK_ENV) or None

    def chat_for(self, choice: str | None) -> str | None:
        """The chat to ask in: ``choice`` is None (the current one), ``new``, ``last`` or an id.
        None means "let the server start one" (a kernel without a notebook, first time)."""
        if choice == "new":
            self.chat_id = self._new_chat()
        elif choice == "last":
            page = self.client.chats(limit=1)
            self.chat_id = page.items[0].id if page.items else self._new_chat()
        elif choice:
            self.chat_id = self.client.chat(choice, tail=1).id  # a 404 says it is unknown
        elif self.chat_id is not None and not self._exists(self.chat_id):
            self.chat_id = None  # deleted meanwhile, in the panel perhaps: start again
            return self.chat_for(None)
        elif self.chat_id is None and self.notebook:
            page = self.client.chats(limit=1, tag=notebook_tag(self.notebook))
            self.chat_id = page.items[0].id if page.items else self._new_chat()
        return self.chat_id

    def _exists(self, chat_id: str) -> bool:
        try:
            self.client.chat(chat_id, tail=1)
        except ChatError as error:
            if error.status == 404:
                return False
            raise
        return True

    def _new_chat(self) -> str | None:
        notebook = self.notebook
        if not notebook:
            return None  # the server makes it, and names it after the first exchange
        title = os.path.basename(notebook.rstrip("/\\")) or notebook
        return self.client.create_chat(title, tags=[notebook_tag(notebook)]).id

    def model_for(self, choice: str | None, configured: str, chat_id: str | None) -> str:
        """``-m``, else the model an earlier ``-m`` chose, the configured one, the chat's last
        answer's, or the first model the server lists. ``-m`` sticks once an answer starts
        (``used``)."""
        if choice:
            return choice
        if self.model:
            return self.model
        found = configured or self._environ.get(MODEL_ENV, "")
        if not found and chat_id:
            for message in reversed(self.client.chat(chat_id, tail=10).messages):
                if message.role == "assistant" and message.model:
                    found = message.model
                    break
        if not found:
            models = self.client.models()
            found = next((m.id for m in models.items if not m.embedding), None)
            if found is None:
                problems = "; ".join(f"{k}: {v}" for k, v in models.errors.items())
                raise ChatError(
                    None,
                    "no_model",
                    f"No model can be used now ({problems})."
                    if problems
                    else "The server lists no models: an admin adds a connection in the Chats "
                    "panel's settings.",
                )
        return found

    def used(self, chat_id: str, chosen: str | None) -> None:
        """An answer started in ``chat_id``, with the model ``-m`` chose (None when none was):
        later cells continue the chat, and keep a chosen model. A model found by default is
        found again each time, so a changed setting or chat counts."""
        self.chat_id = chat_id
        if chosen:
            self.model = chosen
