"""The event-loop side of the local model: one answer at a time, streamed, unloaded when idle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from ..base import Delta, Finish, TextDelta, UpstreamError, UpstreamModel, UpstreamSaid, Usage
from . import runtime
from .idle import IdleTimer, weights_size


class Resident(NamedTuple):
    """The weights in memory: their size in bytes, the seconds until they are dropped if
    unused, and the longest context the model takes (0 when its config does not say)."""

    size: int
    expires_in: float
    context_length: int


# What a plain language model run here cannot honour; asked for, it is refused, never ignored.
_UNSUPPORTED = (
    "tools",
    "response_format",
    "logprobs",
    "presence_penalty",
    "frequency_penalty",
)


def _plain_text(name: str, params: dict[str, Any]) -> bool:
    """OpenAI's default response format, which is what the model gives anyway."""
    return name == "response_format" and params[name] == {"type": "text"}


def generation_settings(params: dict[str, Any], default_max: int) -> dict[str, Any]:
    """OpenAI-style parameters -> transformers GenerationConfig fields."""
    asked = [name for name in _UNSUPPORTED if params.get(name) and not _plain_text(name, params)]
    if asked:
        message = (
            f"The local model does not take {', '.join(asked)}; use a model served by an "
            "OpenAI-compatible or Ollama connection for that."
        )
        said = UpstreamSaid(message, "unsupported_parameter", asked[0])
        raise UpstreamError("http", message, 400, said)
    try:
        limit = next(
            (
                params[k]
                for k in ("max_completion_tokens", "max_tokens")
                if params.get(k) is not None
            ),
            default_max,
        )
        temperature = float(params.get("temperature") or 0)
        top_p = params.get("top_p")
        top_k = params.get("top_k")
        settings: dict[str, Any] = {"max_new_tokens": int(limit)}
        if top_p is not None:
            top_p = float(top_p)
        if top_k is not None:
            top_k = int(top_k)
        seed = params.get("seed")
        if seed is not None:
            settings["seed"] = int(seed)
        # Ollama's name for it, as presets and chat settings often carry it, or transformers'.
        repeat = params.get("repeat_penalty", params.get("repetition_penalty"))
        if repeat is not None:
            settings["repetition_penalty"] = float(repeat)
        min_p = params.get("min_p")
        min_p = float(min_p) if min_p is not None else None
    except (TypeError, ValueError) as error:
        raise UpstreamError("http", f"Bad generation parameter: {error}", 400) from None
    if (
        settings["max_new_tokens"] < 1
        or temperature < 0
        or (top_p is not None and top_p < 0)
        or (top_k is not None and top_k < 1)
        or settings.get("repetition_penalty", 1) <= 0
        or (min_p is not None and not 0 <= min_p <= 1)
    ):
        raise UpstreamError(
            "http",
            "max_tokens and top_k must be at least 1, temperature and top_p >= 0, "
            "repeat_penalty > 0, and min_p between 0 and 1.",
            400,
        )
    # top_p 0 keeps the likeliest token alone, as OpenAI reads it: greedy, which transformers
    # (whose top_p must be above 0) is asked for by name.
    if temperature == 0 or top_p == 0:
        # Greedy: clear the model's own sampling defaults so that none of them applies.
        settings.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    else:
        settings.update(do_sample=True, temperature=temperature)
        if top_p is not None:
            settings["top_p"] = min(top_p, 1.0)
        if top_k is not None:
            settings["top_k"] = top_k
        if min_p is not None:
            settings["min_p"] = min_p
    return settings


def refuse_images(messages: list[dict[str, Any]]) -> None:
    """A language model run here reads text: an image would be dropped without a word. An
    earlier answer's refusal is text too: what that answer said."""
    for message in messages:
        content = message.get("content")
        parts = content if isinstance(content, list) else ()
        other = next((p.get("type") for p in parts if p.get("type") not in runtime.WORDS), None)
        if message.get("images") or other is not None:
            what = (
                "images" if message.get("images") or other == "image_url" else f"{other!r} content"
            )
            text = f"The local model reads text only, not {what}."
            said = UpstreamSaid(text, "unsupported_content", "messages")
            raise UpstreamError("http", text, 400, said)


def stop_strings(params: dict[str, Any]) -> list[str]:
    stop = params.get("stop") or []
    return [s for s in ([stop] if isinstance(stop, str) else stop) if isinstance(s, str) and s]


def held_back(text: str, stops: list[str]) -> int:
    """How many trailing characters of ``text`` could be the start of a stop string."""
    for size in range(min(len(text), max(map(len, stops), default=1) - 1), 0, -1):
        if any(s.startswith(text[-size:]) for s in stops):
            return size
    return 0


class LocalModelClient:
    """A Hugging Face causal LM run in this process, speaking the ``ModelClient`` protocol.

    The weights load on the first answer (in a worker thread) and are dropped after
    ``idle_timeout`` seconds without use. Nothing is ever downloaded: the model must be in the
    Hugging Face cache already, or ``model_id_or_path`` must be a local folder.
    """

    def __init__(
        self,
        model_id_or_path: str,
        idle_timeout: float = 600,
        max_new_tokens_default: int = 512,
        executor: Executor | None = None,
    ):
        self.source = model_id_or_path
        # A folder is known by its name; a hub id is known as written (e.g. "Qwen/Qwen2.5-...").
        is_path = runtime.is_path(model_id_or_path)
        self.model_id = Path(model_id_or_path).expanduser().name if is_path else model_id_or_path
        self.max_new_tokens_default = max_new_tokens_default
        self._executor = executor
        self._own_executor: ThreadPoolExecutor | None = None
        # The model is not thread-safe and a second answer would halve the speed of both.
        self._lock = asyncio.Lock()
        self._loaded: runtime.Loaded | None = None
        self._loading: asyncio.Future[runtime.Loaded] | None = None
        self._idle = IdleTimer(idle_timeout, self._unload_if_idle)
        self._job: asyncio.Future[runtime.Outcome] | None = None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    @property
    def busy(self) -> bool:
        """True while a worker thread is generating (it may outlive a consumer that went away)."""
        return self._job is not None and not self._job.done()

    def resident(self) -> Resident | None:
        """What Ollama's ``ps`` tells of the weights while they are in memory; None when they
        are not loaded. An answer running now keeps them its whole idle timeout after it."""
        loaded = self._loaded
        if loaded is None:
            return None
        context = getattr(loaded.model.config, "max_position_embeddings", None)
        context = context if isinstance(context, int) else 0
        return Resident(weights_size(loaded.model), self._idle.left(), context)

    async def models(self) -> list[UpstreamModel]:
        """The model, when it could run: a model that is not on this machine is not offered
        (the reason is this connection's error in the model list)."""
        if not self.loaded:
            # In a thread: finding the Hugging Face cache imports its client library.
            problem = await asyncio.to_thread(runtime.unavailable, self.source)
            if problem:
                raise UpstreamError("unavailable", problem)
        created = await asyncio.to_thread(runtime.created, self.source)
        meta = {"source": self.source, "loaded": self.loaded, **created}
        return [UpstreamModel(self.model_id, self.model_id, "local", meta)]

    async def stream_chat(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> AsyncIterator[Delta]:
        refuse_images(messages)
        async for delta in self._answer(model, messages, params):
            yield delta

    async def stream_text(
        self, model: str, prompt: str, params: dict[str, Any]
    ) -> AsyncIterator[Delta]:
        """``prompt`` continued as it is, without the chat template (legacy completions)."""
        async for delta in self._answer(model, prompt, params):
            yield delta

    async def _answer(
        self, model: str, source: list[dict[str, Any]] | str, params: dict[str, Any]
    ) -> AsyncIterator[Delta]:
        if model not in (self.model_id, self.source):
            raise UpstreamError(
                "http", f"This server runs {self.model_id} locally, not {model}.", 404
            )
        settings = generation_settings(params, self.max_new_tokens_default)
        stops = stop_strings(params)
        loop = asyncio.get_running_loop()
        await self._lock.acquire()
        channel, job = runtime.Channel(loop), None
        try:
            self._idle.stop()
            loaded = await self._load()
            if not loaded.has_template and not isinstance(source, str):
                # The plain transcript format: a base model tends to go on and write the next turn.
                stops.append("\nuser:")
            job = loop.run_in_executor(
                self._pool(), runtime.generate, loaded, source, settings, channel
            )
            self._job = job
            # From here the worker's end releases the lock, not the consumer's: a consumer that
            # goes away must not let a second generation start beside the first one's last step.
            job.add_done_callback(self._finished)
            async for delta in self._relay(channel, job, stops):
                yield delta
        finally:
            # Tells a worker whose consumer went away (closed, cancelled) to stop.
            channel.stop.set()
            if job is None:
                self._release()

    async def _relay(
        self, channel: runtime.Channel, job: asyncio.Future[runtime.Outcome], stops: list[str]
    ) -> AsyncIterator[Delta]:
        pending, stopped = "", False
        while (item := await channel.queue.get()) is not runtime.DONE:
            pending += item
            hits = [i for i in (pending.find(s) for s in stops) if i >= 0]
            if hits:
                pending, stopped = pending[: min(hits)], True
                channel.stop.set()
                break
            # Hold back only what might still turn into a stop string; send the rest now.
            keep = held_back(pending, stops) if stops else 0
            if len(pending) > keep:
                yield TextDelta(pending[: len(pending) - keep])
                pending = pending[len(pending) - keep :]
        # Shielded: a consumer cancelled here leaves the worker's last step to end on its own,
        # and only then (through the job's callback) lets another answer start.
        outcome = await asyncio.shield(job)
        if pending:
            yield TextDelta(pending)
        yield Usage(
            outcome.prompt_tokens,
            outcome.completion_tokens,
            outcome.prompt_tokens + outcome.completion_tokens,
        )
        yield Finish("stop" if stopped else outcome.reason)

    async def _load(self) -> runtime.Loaded:
        if self._loaded is None:
            if self._loading is None:
                loop = asyncio.get_running_loop()
                self._loading = loop.run_in_executor(self._pool(), runtime.load, self.source)
                self._loading.add_done_callback(self._on_loaded)
            # Shielded: an answer stopped while the weights load leaves the load to finish
            # for the next one, instead of that one loading them a second time.
            return await asyncio.shield(self._loading)
        return self._loaded

    def _on_loaded(self, loading: asyncio.Future[runtime.Loaded]) -> None:
        # Here rather than in the answer that started the load: one stopped meanwhile must
        # not leave the weights in memory unseen, with no idle timer to drop them.
        self._loading = None
        # Marks a failure nobody is left to await as seen (asyncio would log it).
        if loading.cancelled() or loading.exception() is not None:
            return
        self._loaded = loading.result()
        if not self._lock.locked():
            self._schedule_unload()

    def _pool(self) -> Executor:
        if self._executor is not None:
            return self._executor
        if self._own_executor is None:
            self._own_executor = ThreadPoolExecutor(1, thread_name_prefix="chat-ext-local-model")
        return self._own_executor

    def _finished(self, job: asyncio.Future[runtime.Outcome]) -> None:
        if not job.cancelled():
            # Mark a failure nobody awaited (the consumer left) as seen, so asyncio won't log it.
            job.exception()
        if self._job is job:
            # A failure's traceback holds the worker's frames, and so the weights: kept here,
            # it would hold them after an unload, and a reload would put a second copy beside.
            self._job = None
        self._release()

    def _release(self) -> None:
        self._lock.release()
        self._schedule_unload()

    def _schedule_unload(self) -> None:
        if self._loaded is not None:
            self._idle.restart()
        else:
            self._idle.stop()

    def _unload_if_idle(self) -> None:
        if not self._lock.locked():
            # Dropping the last reference frees the tensors; the next answer loads them again.
            self._loaded = None

    async def preload(self) -> None:
        """Load the weights now (they are dropped after the idle timeout, as after an answer)."""
        await self._lock.acquire()
        try:
            self._idle.stop()
            await self._load()
        finally:
            self._release()

    async def unload(self) -> None:
        """Free the weights now (after the current answer, if one is running)."""
        async with self._lock:
            self._idle.stop()
            self._loaded = None

    async def close(self) -> None:
        await self.unload()
        if self._own_executor is not None:
            self._own_executor.shutdown(wait=False, cancel_futures=True)
            self._own_executor = None
