"""The completion flow: store the question, then write the answer as it streams.

The user's message is stored before the upstream is called, and the answer is written every
``flush_interval`` seconds while it streams (and within that time of its latest piece, when
the model pauses), so a cut stream, an upstream error, a stop or a crash leaves what was said
in the chat, marked with its status. Generation runs as a task of the server, not of the
request: a closed tab does not stop it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from contextlib import aclosing
from typing import Any

from ..chats.schemas import UNTITLED, MessageCreate
from ..chats.service import ChatService
from ..chats.settings import ChatSettings, settings_of
from ..chats.turns import Turn
from ..core.errors import Conflict, NotFound
from ..core.identity import Identity
from ..events.schemas import Event
from ..events.service import EventBus
from ..models.service import ModelService, Route, over
from ..providers.base import (
    Finish,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    UpstreamError,
    Usage,
)
from ..providers.reasoning import split_reasoning
from .schemas import CompletionRequest, CompletionResult
from .tasks import ChatLocks, Expiring, Generation, Placing, Progress, Registry

log = logging.getLogger(__name__)

# The error code of a turn that would continue an answer still being written.
BUSY = "answer_in_progress"

_STREAMING = {"status": "streaming"}

# A title made from the question itself takes its first words.
_TITLE_WORDS = 6

TITLE_PROMPT = (
    "Write a short title (3 to 6 words, no quotes, no final punctuation) for a conversation "
    "that starts like this:\n\n{text}\n\nTitle:"
)


def _storable(text: str) -> str:
    # PostgreSQL's text cannot hold a NUL, which a model can still write; the answer would
    # be lost with it. What the user is shown is what is stored.
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _first_given(*prompts: str | None) -> str | None:
    """The system prompt that counts: the first one given. ``""`` is given, and means none,
    so a user who empties it is not handed the chat's or the preset's instead."""
    return next((p for p in prompts if p is not None), None)


class CompletionService:
    def __init__(
        self,
        chats: ChatService,
        models: ModelService,
        bus: EventBus,
        *,
        flush_interval: float = 0.5,
        title_model: str = "",
    ):
        self.chats = chats
        self.models = models
        self.bus = bus
        self.flush_interval = flush_interval
        self.title_model = title_model
        self.running = Registry()
        # Stops asked for by a request's name before its answer began (a kernel interrupted
        # while its question was being sent): each waits a minute for the answer to begin.
        self._early_stops = Expiring()
        self._placing = ChatLocks()
        self._pending: set[Placing] = set()
        # The chats being named now, with the user and the task naming them: an answer that
        # ends meanwhile need not name them too, and a deletion stops the naming.
        self._naming: dict[str, tuple[str, asyncio.Task[Any]]] = {}

    async def start(self, me: Identity, req: CompletionRequest) -> tuple[Generation, str | None]:
        """Store the question and an empty answer, and start writing the answer."""
        route = await self.models.route(req.model, me)  # an unknown model stores nothing
        async with self._placing.hold(me.id, req.chat_id):
            placing = Placing(me.id, req.chat_id)
            self._pending.add(placing)
            try:
                turn = await self._place(me, req, route.model_id)
                while placing.abandoned:
                    # Deleted after the turn was stored, before its answer began: the turn
                    # went with the chat (a 404, as for a chat deleted a moment sooner), and
                    # no answer is to be written into it. A chat made after a deletion of
                    # all the user's chats is still there, and answered.
                    placing.abandoned = False
                    await self.chats.require(me, turn.chat.id)
                return self._begin(me, req, route, turn)
            finally:
                self._pending.discard(placing)

    async def _place(self, me: Identity, req: CompletionRequest, model: str) -> Turn:
        """Store the question (if any) and an empty answer, unless the turn would continue
        an answer still being written."""
        self._refuse_busy(me, req)
        question = None
        if req.content is not None:
            # parent_id is "reply to the current leaf" when absent and "a new root" when null.
            reply = {"parent_id": req.parent_id} if "parent_id" in req.model_fields_set else {}
            question = MessageCreate(role="user", content=req.content, meta=req.meta or {}, **reply)
        # Stored under the id the model list gives it, however the request spelled it.
        answer = MessageCreate(role="assistant", content="", model=model, meta=_STREAMING)
        # One transaction for the question, the answer and the context (and a new chat with
        # its settings): the upstream is called as soon as the question is safe.
        return await self.chats.add_turn(
            me, req.chat_id, answer, question=question, redo=req.regenerate, settings=req.settings
        )

    def _begin(
        self, me: Identity, req: CompletionRequest, route: Route, turn: Turn
    ) -> tuple[Generation, str | None]:
        """Start writing the answer of a stored turn, listed as running from now on."""
        chat = settings_of(turn.chat.meta) or ChatSettings()
        # An answer that said nothing (it failed or was stopped before its first word) is no
        # part of the conversation; some servers refuse an empty assistant message.
        messages = [
            {"role": role, "content": content}
            for role, content in turn.context
            if content or role != "assistant"
        ]
        system = _first_given(
            req.system, chat.system, route.preset.system_prompt if route.preset else None
        )
        system = "\n\n".join(filter(None, (system, req.system_suffix)))
        if system:
            messages.insert(0, {"role": "system", "content": system})
        chat_id, answer_id = turn.chat.id, turn.added[-1].id
        generation = Generation(me.id, chat_id, answer_id, route.model_id, req.request_id)
        self.running.add(generation)
        generation.task = asyncio.create_task(
            self._run(
                me,
                generation,
                route,
                messages,
                route.params(over(chat.params.upstream(), req.params.upstream())),
                turn.chat.title == UNTITLED,
            ),
            name=f"chat-ext generation {answer_id}",
        )
        generation.task.add_done_callback(functools.partial(self._ended, me, generation))
        self.running.track(generation.task)
        if req.request_id is not None and self._early_stops.pop((me.id, req.request_id)):
            # Stopped before its first step: the question stays, the answer says "stopped".
            generation.task.cancel()
        return generation, turn.added[0].id if req.content is not None else None

    def _refuse_busy(self, me: Identity, req: CompletionRequest) -> None:
        """A turn may not continue an answer still being written: it would go to the model
        without that answer's text. A reply to the current message waits for every answer
        in the chat; an edit or a regeneration only for the one it continues or redoes."""
        if req.chat_id is None:
            return
        busy = self.running.in_chat(me.id, req.chat_id)
        if not busy:
            return
        if req.regenerate is not None:
            blocked = req.regenerate in busy
        elif "parent_id" in req.model_fields_set:
            blocked = req.parent_id in busy
        else:
            blocked = True
        if blocked:
            raise Conflict(
                "An answer is still being written in this chat: wait for it to end, or stop "
                f"it (POST chat/completions/{busy[0]}/stop), then send again.",
                code=BUSY,
            )

    def abandon(self, me: Identity, chat_id: str | None = None) -> None:
        """Stop the answers being written into a chat (all the user's with None) that was
        deleted, those about to begin and its naming: no one is left to read them, and the
        upstream would go on costing. Called once the deletion is stored."""
        for placing in self._pending:
            # A new chat's id is not known until its turn is stored: each is checked.
            mine = placing.user_id == me.id
            if mine and (placing.chat_id is None or chat_id in (None, placing.chat_id)):
                placing.abandoned = True
        for generation in self.running.of_user(me.id):
            if chat_id in (None, generation.chat_id) and generation.task is not None:
                generation.task.cancel()
        for named, (user_id, task) in list(self._naming.items()):
            if user_id == me.id and chat_id in (None, named):
                task.cancel()

    async def stop(self, me: Identity, message_id: str) -> CompletionResult:
        """Stop an answer and say how it ended. One that had ended already (on its own, or
        by an earlier stop from another tab) is told as it was stored: a stop is idempotent."""
        generation = self.running.get(me.id, message_id)
        if generation is None:
            return await self._ended_answer(me, message_id)
        # An answer already complete is only being stored: stopping it then would leave a
        # new chat untitled, and the stop would have nothing left to stop.
        if generation.task is not None and generation.status == "running":
            generation.task.cancel()
        await generation.finished.wait()
        return self.result(generation, None)

    async def stop_request(self, me: Identity, request_id: str) -> CompletionResult | None:
        """Stop the answer asked for under a request's own name (one that ended within a
        minute is told as it ended); None when it has not begun, and it is then stopped as
        it begins."""
        generation = self.running.by_request(me.id, request_id)
        if generation is not None:
            return await self.stop(me, generation.message_id)
        ended = self.running.ended_request(me.id, request_id)
        if ended is not None:
            return await self.stop(me, ended)  # told as it was stored
        self._early_stops.put((me.id, request_id))
        return None

    async def _ended_answer(self, me: Identity, message_id: str) -> CompletionResult:
        row = await self.chats.answer(me, message_id)
        # Also for another user's answer, so that it looks like one that never was.
        if row is None:
            raise NotFound(f"No answer {message_id!r}.")
        meta = row.meta or {}
        status = meta.get("status")
        if status == "streaming":
            # Stored as begun, yet not written here: it is about to start, or another server
            # of the same user (sharing the database) writes it.
            raise Conflict(
                f"The answer {message_id!r} is being written, but not by this server: stop it "
                "where it was asked for, or try again in a moment.",
                code=BUSY,
            )
        usage = meta.get("usage")
        if not isinstance(usage, dict) or not all(type(v) is int for v in usage.values()):
            usage = None  # an imported answer's may be anything

        def text(key: str) -> str | None:
            value = meta.get(key)
            return value if isinstance(value, str) else None

        return CompletionResult(
            chat_id=row.chat_id,
            user_message_id=None,
            message_id=row.id,
            content=row.content,
            reasoning=text("reasoning") or None,
            # An answer written by hand or imported has no status: it is as it was given.
            status=status if status in ("stopped", "error") else "done",
            finish_reason=text("finish_reason"),
            usage=usage,
            error=text("error"),
        )

    def attach(self, me: Identity, message_id: str) -> Generation | None:
        return self.running.get(me.id, message_id)

    def result(self, generation: Generation, user_message_id: str | None) -> CompletionResult:
        return CompletionResult(
            chat_id=generation.chat_id,
            user_message_id=user_message_id,
            message_id=generation.message_id,
            content=generation.text,
            reasoning=generation.reasoning or None,
            status=generation.status,  # type: ignore[arg-type]
            finish_reason=generation.finish_reason,
            usage=generation.usage,
            error=generation.error,
        )

    async def _run(
        self,
        me: Identity,
        gen: Generation,
        route: Route,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        untitled: bool,
    ) -> None:
        started = time.monotonic()
        first_token: float | None = None
        # When the latest piece of reasoning came: "thought for" runs from the start to it.
        thought_until: float | None = None
        tool_calls: dict[int, dict[str, Any]] = {}

        async def write_progress() -> None:
            thought = self._thought(gen, started, thought_until)
            saved = await self._save(me, gen, {"status": "streaming", **thought}, final=False)
            if not saved and gen.task is not None:
                # The chat is gone, deleted where no cancel reaches (another server sharing
                # the database): no one is left to read the answer, and the model would go
                # on costing.
                gen.task.cancel()

        progress = Progress(write_progress, self.flush_interval)
        deltas = split_reasoning(route.client.stream_chat(route.upstream_id, messages, params))
        try:
            # Closed on any way out, so a stop closes the upstream request at once.
            async with aclosing(deltas):
                async for delta in deltas:
                    if isinstance(delta, TextDelta | ReasoningDelta):
                        now = time.monotonic()
                        if first_token is None:
                            first_token = now
                        text = _storable(delta.text)
                        if isinstance(delta, ReasoningDelta):
                            thought_until = now
                            gen.thoughts.append(text)
                            self._publish(me, gen, "reasoning", text)
                        else:
                            gen.parts.append(text)
                            self._publish(me, gen, "delta", text)
                        if progress.failed is not None:
                            raise progress.failed
                        progress.changed()
                    elif isinstance(delta, ToolCallDelta):
                        call = tool_calls.setdefault(
                            delta.index, {"id": delta.id, "name": delta.name, "arguments": ""}
                        )
                        call["arguments"] += _storable(delta.arguments)
                    elif isinstance(delta, Usage):
                        gen.usage = {
                            "prompt_tokens": delta.prompt_tokens,
                            "completion_tokens": delta.completion_tokens,
                            "total_tokens": delta.total_tokens,
                        }
                        gen.emit("usage", gen.usage)
                    elif isinstance(delta, Finish):
                        gen.finish_reason = delta.reason
            gen.status = "done"
        except asyncio.CancelledError:
            gen.status = "stopped"
        except UpstreamError as error:
            gen.status = "error"
            # Stored, and told to the user's tabs: an admin's answer may say where its model
            # server is, another user's only what went wrong.
            gen.error = error.told_to(me.is_admin)
        except Exception as error:  # keep what was written whatever went wrong
            log.exception("generation %s failed", gen.message_id)
            gen.status = "error"
            gen.error = f"The answer failed: {error}"
        finally:
            meta: dict[str, Any] = {
                "status": gen.status,
                "finish_reason": gen.finish_reason,
                "usage": gen.usage,
                "error": gen.error,
                "ttft_ms": round((first_token - started) * 1000, 1) if first_token else None,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                **self._thought(gen, started, thought_until),
            }
            if tool_calls:
                meta["tool_calls"] = [tool_calls[i] for i in sorted(tool_calls)]
            await self._end(me, gen, meta, after=progress.stop())
        if untitled and gen.status == "done" and gen.chat_id not in self._naming:
            self._naming[gen.chat_id] = (me.id, asyncio.current_task())  # type: ignore[assignment]
            try:
                await self._title(me, gen, route, messages)
            finally:
                self._naming.pop(gen.chat_id, None)

    def _publish(self, me: Identity, gen: Generation, name: str, text: str) -> None:
        """One piece of the answer ("delta") or of its reasoning ("reasoning"), to those who
        follow this answer and to the user's other tabs (``message.delta`` or
        ``message.reasoning``)."""
        gen.emit(name, {"text": text})
        self.bus.publish(
            me.id,
            Event(
                type=f"message.{name}",
                data={"chat_id": gen.chat_id, "id": gen.message_id, "text": text},
            ),
        )

    @staticmethod
    def _thought(gen: Generation, started: float, until: float | None) -> dict[str, Any]:
        """The reasoning as stored in the answer's meta, with how long the model thought."""
        if until is None:
            return {}
        return {"reasoning": gen.reasoning, "reasoning_ms": round((until - started) * 1000)}

    async def _end(
        self,
        me: Identity,
        gen: Generation,
        meta: dict[str, Any],
        after: asyncio.Future[None] | None = None,
    ) -> None:
        """The last write, ``after`` a write of the answer in progress that is under way."""
        save = asyncio.ensure_future(self._save_last(me, gen, meta, after))
        cancelled = False
        try:
            # A cancel that comes meanwhile (the server stopping) waits for the save: the
            # answer is said to end, and the database may close, only once it is stored.
            while not save.done():
                try:
                    await asyncio.wait([save])
                except asyncio.CancelledError:
                    cancelled = True
            save.result()
        finally:
            self.running.remove(gen)
            gen.emit(*gen.last_event())
            gen.finished.set()
        if cancelled:
            raise asyncio.CancelledError

    def _ended(self, me: Identity, gen: Generation, task: asyncio.Task) -> None:
        if gen.finished.is_set():
            return
        # Stopped before its first step: the coroutine never ran, nor its ``finally``.
        gen.status = "stopped"
        self.running.track(asyncio.ensure_future(self._end(me, gen, {"status": "stopped"})))

    async def _save_last(
        self,
        me: Identity,
        gen: Generation,
        meta: dict[str, Any],
        after: asyncio.Future[None] | None,
    ) -> None:
        if after is not None:
            # Its failure, if any, is the generation's already.
            await asyncio.wait([after])
        try:
            try:
                await self._save(me, gen, meta, final=True)
            except Exception:
                # Most failures pass (a lock held a moment, a dropped connection): once more.
                log.warning("storing the answer %s failed; trying again", gen.message_id)
                await self._save(me, gen, meta, final=True)
        except Exception as error:
            # Its listeners are told it failed, not "done", and the answer is stored as one
            # that failed if the database takes that, rather than left "streaming".
            log.exception("the answer %s could not be stored", gen.message_id)
            gen.status = "error"
            gen.error = f"The answer could not be stored: {error}"
            await self._save(me, gen, {**meta, "status": "error", "error": gen.error}, final=True)

    async def _save(
        self, me: Identity, gen: Generation, meta: dict[str, Any], *, final: bool
    ) -> bool:
        clean = {k: v for k, v in meta.items() if v is not None}
        return await self.chats.save_progress(
            me, gen.chat_id, gen.message_id, gen.text, clean, final=final
        )

    async def _title(
        self, me: Identity, gen: Generation, route: Route, messages: list[dict[str, Any]]
    ) -> None:
        """Name an untitled chat from its first exchange that ends well, with the task model
        if one is set. A model that fails, or says nothing (one that spent its few tokens
        thinking), leaves the question's opening words, which name the chat better than
        "New Chat"."""
        question = next((m["content"] for m in messages if m["role"] == "user"), "")
        text = f"User: {question[:2000]}\nAssistant: {gen.text[:2000]}"
        parts: list[str] = []
        prompt = [{"role": "user", "content": TITLE_PROMPT.format(text=text)}]
        params: dict[str, Any] = {"max_tokens": 24, "temperature": 0}
        try:
            if self.title_model:
                # The task model may be a preset (one the user can see): its system prompt and
                # defaults shape the titles, as an admin who made it for that meant.
                route = await self.models.route(self.title_model, me)
                if route.preset is not None:
                    params = route.params(params)
                    if route.preset.system_prompt:
                        system = {"role": "system", "content": route.preset.system_prompt}
                        prompt = [system, *prompt]
            # A reasoning model's thoughts are no part of the title.
            answer = split_reasoning(route.client.stream_chat(route.upstream_id, prompt, params))
            async with aclosing(answer):
                async for delta in answer:
                    if isinstance(delta, TextDelta):
                        parts.append(delta.text)
        except (UpstreamError, NotFound) as error:
            log.info("no title from the model for chat %s: %s", gen.chat_id, error)
            parts = []
        title = " ".join(_storable("".join(parts)).replace('"', "").split())[:80].strip(" .")
        title = title or " ".join(question.split()[:_TITLE_WORDS])[:80]
        if title:
            await self.chats.name(me, gen.chat_id, title)
