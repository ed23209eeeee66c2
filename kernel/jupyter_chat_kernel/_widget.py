"""``ChatWidget``: a chat of the server in a notebook output, as an anywidget.

The front end (``static/widget.js``) shows a model selector, the messages and an input; it
sends ``{"type": "ask" | "stop" | "new" | "models"}`` messages, and the kernel answers by
changing traits.
Answers stream in a background thread, so the kernel stays free while a model writes, and the
``messages`` trait is replaced at most every ``update_interval`` seconds as text arrives.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ._client import Client
from ._errors import ChatError
from ._session import MODEL_ENV
from ._stream import CompletionStream
from ._types import MessageOut, ReasoningDelta, TextDelta

STATIC = Path(__file__).parent / "static"


_BUSY = "An answer is being written: wait for it, or stop it."
# Seconds new_chat waits for a stopped answer to end before starting over.
_STOP_WAIT = 10.0
# The server's title for a chat it has not named yet; it names one (a model writes the name)
# once an answer in it ends well.
UNTITLED = "New Chat"
# Seconds the widget looks for that name, and the longest pause between two looks.
_TITLE_WAIT = 60.0
_TITLE_PAUSE = 4.0
# Seconds between two reads of the model list while the widget has none (the server was away,
# say), as the Chats panel does.
_MODELS_PAUSE = 5.0


def _message(message: MessageOut) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "model": message.model,
        "status": str(message.meta.get("status") or "done"),
        # Whether a reasoning model thought before it answered (its thoughts stay in the chat).
        "thought": bool(message.meta.get("reasoning")),
    }


def _last_model(messages: list[dict[str, Any]]) -> str | None:
    for message in reversed(messages):
        if message["role"] == "assistant" and message.get("model"):
            return message["model"]
    return None


class ChatWidget(anywidget.AnyWidget):
    """A chat with a model, in a notebook output; works on the server's chats.

    ``ChatWidget()`` starts a new chat on the first question; ``ChatWidget(chat_id=...)``
    continues one (the Chats panel's, for example). ``chat_id``, ``model``, ``messages`` and
    ``busy`` are observable traits, so ``observe`` and ``ipywidgets.link`` work with them.
    """

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    chat_id = traitlets.Unicode(None, allow_none=True, help="The chat shown").tag(sync=True)
    model = traitlets.Unicode("", help="The model that answers next").tag(sync=True)
    models = traitlets.List(traitlets.Unicode(), help="Models to choose from").tag(sync=True)
    messages = traitlets.List(
        traitlets.Dict(),
        help="The chat's messages: id, role, content, model, status (streaming, thinking, ...)",
    ).tag(sync=True)
    busy = traitlets.Bool(False, help="True while an answer is being written").tag(sync=True)
    error = traitlets.Unicode("", help="The last problem, in one line").tag(sync=True)
    title = traitlets.Unicode("", help="The chat's title").tag(sync=True)

    def __init__(
        self,
        chat_id: str | None = None,
        model: str | None = None,
        *,
        client: Client | None = None,
        tail: int = 100,
        update_interval: float = 0.1,
        **kwargs: Any,
    ) -> None:
        self.tail = tail
        self.update_interval = update_interval
        self._thread: threading.Thread | None = None
        self._answer_id: str | None = None
        # The name of the question being sent, to stop its answer by before it has an id.
        self._request_id: str | None = None
        self._stop_asked = False
        self._own_chat: str | None = None
        # Held while the title shown is checked against the chat shown and changed.
        self._showing = threading.Lock()
        self._closed = threading.Event()
        # The answer shown is one written elsewhere (the Chats panel's), followed here: Stop
        # stops it, but leaving it (another chat, new_chat(), close()) lets it go on.
        self._following = False
        self._owns_client = client is None
        self._client = client
        self._listing = threading.Lock()  # one read of the model list at a time
        self._list_error = ""  # the error trait's text when it is the list's failure
        # Everything is read before the widget exists, so that its first state is whole.
        state: dict[str, Any] = {"chat_id": chat_id}
        try:
            if self._client is None:
                self._client = Client()
            state["models"] = self._read_models()
            if chat_id:
                detail = self._client.chat(chat_id, tail=tail)
                state["title"] = detail.title
                state["messages"] = [_message(m) for m in detail.messages]
        except ChatError as error:
            state["error"] = str(error)
            if "models" not in state:
                self._list_error = state["error"]
        # A chat that cannot be read still leaves a model to ask, in a new chat (new_chat).
        state["model"] = (
            model
            or os.environ.get(MODEL_ENV)
            or _last_model(state.get("messages", []))
            or next(iter(state.get("models", ())), "")
        )
        super().__init__(**state, **kwargs)
        self.on_msg(self._on_front_end)
        self.observe(self._chat_changed, names="chat_id")
        if chat_id and state.get("messages"):
            self._follow_if_writing(chat_id)
        if not self.models:
            threading.Thread(
                target=self._poll_models, name="chat-widget-models", daemon=True
            ).start()

    # -- what Python code calls ------------------------------------------------------------

    def ask(self, content: str) -> None:
        """Send ``content`` and stream the answer in the background (see ``wait``)."""
        if self.busy:
            self.error = _BUSY
            return
        if not content.strip():
            return
        if not self.model:
            self.refresh_models()  # the server may be back since the widget was made
        if self._client is None or not self.model:
            self.error = self.error or "No model to ask: the server lists none."
            return
        self.error = ""
        self._stop_asked = False
        self._request_id = uuid.uuid4().hex
        self.busy = True
        question = {"id": None, "role": "user", "content": content, "model": None, "thought": False}
        self.messages = [*self.messages, {**question, "status": "done"}]
        self._thread = threading.Thread(
            target=self._answer,
            args=(content, self.model, self._request_id),
            name="chat-widget",
            daemon=True,
        )
        self._thread.start()

    def refresh_models(self) -> bool:
        """Read the model list again (the front end asks when its model picker is opened);
        False if the server could not give it, which the ``error`` trait then says."""
        if not self._listing.acquire(blocking=False):
            return False  # a read is under way: its list will do
        try:
            if self._client is None and self._owns_client:
                self._client = Client()  # no server was found when the widget was made
            if self._client is None:
                return False
            models = self._read_models()
        except ChatError as error:
            if not self.models or self.error in ("", self._list_error):
                self.error = self._list_error = str(error)
            return False
        finally:
            self._listing.release()
        self.models = models
        if not self.model:
            self.model = next(iter(models), "")
        if self._list_error and self.error == self._list_error:
            self.error = ""
        self._list_error = ""
        return True

    def stop(self) -> None:
        """Stop the answer being written; what was written is kept."""
        self._stop_asked = self.busy  # honoured as soon as the answer has an id
        answer, request = self._answer_id, self._request_id
        if self._client is None or (answer is None and request is None):
            return
        try:
            if answer is not None:
                self._client.stop_completion(answer)
            elif request is not None and self.busy:
                # The server may not have begun it yet: stopped by the question's own name,
                # it ends as it begins, before the model is asked.
                self._client.stop_request(request)
        except ChatError as error:
            if error.status != 404:  # 404: it had just ended
                self.error = str(error)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the answer being written; False if it is still going after ``timeout``."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.busy

    def new_chat(self) -> None:
        """Start over: the next question makes a new chat. An answer this widget is writing
        is stopped first (what it wrote is kept in its chat); one it only follows goes on."""
        if self.busy and not self._following:
            self.stop()
            self.wait(_STOP_WAIT)
        self.chat_id = None

    def close(self) -> None:
        self._closed.set()
        if not self._following:
            self.stop()
        super().close()
        if self._owns_client and self._client is not None:
            self._client.close()

    # -- the rest ----------------------------------------------------------------------------

    def _on_front_end(self, _widget: Any, content: Any, _buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ask":
            self.ask(str(content.get("content") or ""))
        elif kind == "stop":
            self.stop()
        elif kind == "new":
            self.new_chat()
        elif kind == "models":
            # In the background: a slow connection's list must not hold up the kernel.
            threading.Thread(target=self.refresh_models, name="chat-widget-models").start()

    def _read_models(self) -> list[str]:
        assert self._client is not None
        return [m.id for m in self._client.models().items if not m.embedding]

    def _poll_models(self) -> None:
        """Read the list again every few seconds while there is none to choose from."""
        while not self._closed.wait(_MODELS_PAUSE):
            if not self.models:
                self.refresh_models()
            if self.models:
                return

    def _chat_changed(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and change["new"] == self._own_chat:
            return  # the chat an answer just made: its messages are here already
        with self._showing:
            self._load(change["new"])

    def _load(self, chat_id: str | None, follow: bool = True) -> None:
        if chat_id is None or self._client is None:
            self.messages, self.title = [], ""
            return
        try:
            detail = self._client.chat(chat_id, tail=self.tail)
        except ChatError as error:
            # Whatever was shown belongs to another chat.
            self.messages, self.title, self.error = [], "", str(error)
            return
        self.title = detail.title
        self.messages = [_message(m) for m in detail.messages]
        if follow:
            self._follow_if_writing(chat_id)

    def _answer(self, content: str, model: str, request_id: str) -> None:
        assert self._client is not None
        answer: dict[str, Any] | None = None
        stream = None
        try:
            stream = self._client.stream(
                content, model=model, chat_id=self.chat_id, request_id=request_id
            )
            start = stream.start
            assert start is not None
            self._answer_id = start.message_id
            if self.chat_id != start.chat_id:
                # Only for this change: set again later, the chat is loaded like any other.
                self._own_chat = start.chat_id
                try:
                    self.chat_id = start.chat_id
                finally:
                    self._own_chat = None
            question = {**self.messages[-1], "id": start.user_message_id}
            answer = {
                "id": start.message_id,
                "role": "assistant",
                "content": stream.text,
                "model": start.model,
                "status": "streaming",
                "thought": bool(stream.reasoning),
            }
            # A copy: ``answer`` changes as it streams, and the trait must see each change.
            self.messages = [*self.messages[:-1], question, dict(answer)]
            if self._stop_asked:
                self.stop()
            self._read(stream, start.chat_id, answer)
            if stream.status == "done" and self.title in ("", UNTITLED):
                threading.Thread(
                    target=self._follow_title,
                    args=(start.chat_id,),
                    name="chat-widget-title",
                    daemon=True,
                ).start()
            if self.error == _BUSY:
                self.error = ""  # a question refused meanwhile: this answer is what it waited for
        except ChatError as error:
            self.error = str(error)
            if answer is not None and stream is not None and stream.start is not None:
                self._show(stream.start.chat_id, answer, stream.text, "error")
            elif self.messages and self.messages[-1]["id"] is None:
                # Refused before the chat stored it: keep the text, marked as not sent.
                self.messages = [*self.messages[:-1], {**self.messages[-1], "status": "error"}]
        finally:
            if stream is not None:
                stream.close()
            self._answer_id = self._request_id = None
            self.busy = False

    def _read(
        self,
        stream: CompletionStream,
        chat_id: str,
        answer: dict[str, Any],
        leave: Callable[[], bool] = lambda: False,
    ) -> None:
        """Show ``stream`` in ``answer`` as it is written (the text at most every
        ``update_interval`` seconds), then as it ended; stop reading early when ``leave()``."""
        shown = 0.0
        for event in stream:
            if leave():
                return
            if isinstance(event, TextDelta) and time.monotonic() - shown >= self.update_interval:
                shown = time.monotonic()
                self._show(chat_id, answer, stream.text, "streaming")
            elif isinstance(event, ReasoningDelta) and answer["status"] != "thinking":
                # A reasoning model's thoughts are not the answer: the view says it thinks.
                answer["thought"] = True
                self._show(chat_id, answer, stream.text, "thinking")
        answer["thought"] = bool(stream.reasoning)
        self._show(chat_id, answer, stream.text, stream.status)

    def _follow_if_writing(self, chat_id: str) -> None:
        """A chat shown while its answer is written elsewhere (the Chats panel's, say): follow
        that answer as it streams, and let Stop stop it, rather than show it frozen."""
        last = self.messages[-1] if self.messages else None
        if self.busy or self._client is None or last is None:
            return
        if last["role"] != "assistant" or last["status"] not in ("streaming", "thinking"):
            return
        self._stop_asked = False
        self._answer_id = last["id"]
        self.busy = self._following = True
        self._thread = threading.Thread(
            target=self._follow,
            args=(chat_id, dict(last)),
            name="chat-widget-follow",
            daemon=True,
        )
        self._thread.start()

    def _follow(self, chat_id: str, answer: dict[str, Any]) -> None:
        assert self._client is not None
        stream = None
        try:
            stream = self._client.attach(answer["id"])
            self._read(
                stream,
                chat_id,
                answer,
                leave=lambda: self.chat_id != chat_id or self._closed.is_set(),
            )
        except ChatError as error:
            if error.status == 404:  # it ended meanwhile: show it as stored
                with self._showing:
                    if self.chat_id == chat_id:
                        self._load(chat_id, follow=False)
            else:
                self.error = str(error)
                if stream is not None:  # the model failed: as far as it got
                    self._show(chat_id, answer, stream.text, "error")
        finally:
            if stream is not None:
                stream.close()  # leaving the chat: the answer goes on, it is not this one's
            self._answer_id = None
            self.busy = self._following = False

    def _follow_title(self, chat_id: str) -> None:
        """Show the name the server gives an untitled chat after an answer (the Chats panel
        hears of it on its events socket; the kernel has only REST, so it asks)."""
        assert self._client is not None
        deadline = time.monotonic() + _TITLE_WAIT
        pause = 0.25
        while not self._closed.is_set():
            try:
                title = self._client.chat(chat_id, tail=1).title
            except ChatError:
                return  # deleted meanwhile, or the server went away: the next load says so
            with self._showing:
                if self.chat_id != chat_id:
                    return
                self.title = title
            if title != UNTITLED or time.monotonic() + pause > deadline:
                return
            self._closed.wait(pause)
            pause = min(pause * 2, _TITLE_PAUSE)

    def _show(self, chat_id: str, answer: dict[str, Any], text: str, status: str) -> None:
        answer.update(content=text, status=status)
        if self.chat_id == chat_id:  # not if another chat is shown meanwhile
            self.messages = [*self.messages[:-1], dict(answer)]
