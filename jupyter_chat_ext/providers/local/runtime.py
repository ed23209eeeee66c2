"""The thread side of the local model: loading the weights and running ``generate``.

Everything here runs in a worker thread, never on the event loop. torch and transformers are
imported inside the functions, not at module level: importing them takes seconds, and a server
that never asks the local model for anything should not pay for it.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ..base import UpstreamError, UpstreamSaid

# Put on the queue after the last piece of text, whether generation ended well or not.
DONE = object()


@dataclass(frozen=True, slots=True)
class Loaded:
    tokenizer: Any
    model: Any
    eos_ids: frozenset[int]
    has_template: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    prompt_tokens: int
    completion_tokens: int
    reason: str  # "stop" | "length"


class Channel:
    """Carries text from the generating thread to the event loop, and a stop request back."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.stop = threading.Event()

    def send(self, item: Any) -> None:
        # asyncio.Queue is not thread-safe: hand the put to the loop's own thread.
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:
            # The loop is closed, so nobody is reading: stop spending CPU on the answer.
            self.stop.set()


def is_path(source: str) -> bool:
    return source.startswith(("/", ".", "~")) or Path(source).expanduser().is_dir()


def missing_message(source: str, error: Exception, setting: str = "local_model") -> str:
    if is_path(source):
        folder = Path(source).expanduser()
        problem = f"holds no Hugging Face model ({error})" if folder.is_dir() else "does not exist"
        return (
            f"The local model folder {source} {problem}. Point ChatExtApp.{setting} at a "
            "folder with config.json, the tokenizer files and the weights."
        )
    return (
        f"The local model {source} is not on this machine, and the server never downloads "
        f"models. Run `hf download {source}` on a machine with internet and copy the Hugging "
        f"Face cache (~/.cache/huggingface/hub) here, or set ChatExtApp.{setting} to a local "
        "folder holding the model."
    )


def needs_packages(source: str) -> str:
    return (
        f"Running the local model {source} needs torch and transformers; install them in the "
        'server\'s environment (pip install "jupyter-chat-ext[local]").'
    )


# A model's weights come in one of these files (or in shards that one of them indexes).
_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def unavailable(source: str, setting: str = "local_model") -> str | None:
    """Why the model cannot run here, found without loading anything; None when it can
    (``setting``: the option that names it, for the message)."""
    if find_spec("torch") is None or find_spec("transformers") is None:
        return needs_packages(source)
    if is_path(source):
        folder = Path(source).expanduser()

        def has(name: str) -> bool:
            return (folder / name).is_file()

    else:
        from huggingface_hub import try_to_load_from_cache

        def has(name: str) -> bool:
            try:
                return isinstance(try_to_load_from_cache(source, name), str)
            except ValueError:  # not a valid hub id either
                return False

    if not has("config.json"):
        return missing_message(source, FileNotFoundError("no config.json"), setting)
    if not any(has(name) for name in _WEIGHTS):
        return missing_message(source, FileNotFoundError("no weights"), setting)
    return None


def created(source: str, folder: Path | None = None) -> dict[str, int]:
    """``{"created": ...}``: when this machine's copy of the model was written (its
    config.json's time, in Unix seconds), for the model lists; empty when it is not found.
    ``folder`` holds the model in place of ``source``'s own."""
    if folder is None and is_path(source):
        folder = Path(source).expanduser()
    try:
        if folder is not None:
            config = folder / "config.json"
        else:
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(source, "config.json")
            if not isinstance(found, str):
                return {}
            config = Path(found)
        # The cache's files are links to its blobs: the blob's time is the download's.
        return {"created": int(config.stat().st_mtime)}
    except (OSError, ValueError, ImportError):
        return {}


def load(source: str) -> Loaded:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise UpstreamError("unavailable", needs_packages(source)) from None
    path = str(Path(source).expanduser()) if is_path(source) else source
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        # float32: on CPUs without bfloat16 units, half precision is slower, not faster.
        model = AutoModelForCausalLM.from_pretrained(
            path, local_files_only=True, dtype=torch.float32
        )
    except (OSError, ValueError) as error:
        raise UpstreamError("unavailable", missing_message(source, error)) from None
    except Exception as error:  # damaged files raise whatever their reader raises
        raise UpstreamError(
            "unavailable",
            f"The local model {source} could not be loaded ({type(error).__name__}: "
            f"{str(error)[:200]}); its files may be incomplete. Copy them again or point "
            "ChatExtApp.local_model at another folder.",
        ) from None
    model.eval()
    eos = model.generation_config.eos_token_id
    eos_ids = {eos} if isinstance(eos, int) else set(eos or ())
    if tokenizer.eos_token_id is not None:
        eos_ids.add(tokenizer.eos_token_id)
    return Loaded(tokenizer, model, frozenset(eos_ids), bool(tokenizer.chat_template))


# Content parts that are text: an earlier answer's refusal is what that answer said.
WORDS = ("text", "refusal")


def text_of(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(str(p.get(p["type"]) or "") for p in content if p.get("type") in WORDS)
    return content or ""


def prompt_ids(loaded: Loaded, messages: list[dict[str, Any]] | str) -> list[int]:
    """The tokens a chat's ``messages`` make in the model's chat template, or those of a plain
    text (a prompt to continue as it is, as OpenAI's legacy completions ask)."""
    if isinstance(messages, str):
        return loaded.tokenizer(messages)["input_ids"]
    turns = [
        {"role": m.get("role", "user"), "content": text_of(m.get("content"))} for m in messages
    ]
    tokenizer = loaded.tokenizer
    if not loaded.has_template:
        # A base model has no chat format; this plain transcript is what such models continue best.
        text = "".join(f"{t['role']}: {t['content']}\n" for t in turns) + "assistant:"
        return tokenizer(text)["input_ids"]
    from jinja2 import TemplateError

    def render(turns: list[dict[str, str]]) -> str:
        return tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)

    try:
        try:
            text = render(turns)
        except TemplateError:
            if len(turns) < 2 or turns[0]["role"] != "system" or turns[1]["role"] != "user":
                raise
            # Some templates (Gemma's, older Mistral's) have no system turn; its text then
            # opens the first question, where Ollama's templates for those models put it.
            first = f"{turns[0]['content']}\n\n{turns[1]['content']}"
            text = render([{"role": "user", "content": first}, *turns[2:]])
    except TemplateError as error:
        # Templates raise on shapes they do not accept (a system turn, two user turns in a row).
        raise UpstreamError(
            "http", f"The model's chat template refused these messages: {error}", 400
        ) from None
    # The template already wrote the special tokens (BOS and turn markers) it wants.
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def generate(
    loaded: Loaded,
    messages: list[dict[str, Any]] | str,
    settings: dict[str, Any],
    channel: Channel,
) -> Outcome:
    """Run one answer to the end (or until ``channel.stop``), sending text as it is decoded."""
    try:
        return _generate(loaded, messages, settings, channel)
    except UpstreamError:
        raise
    except Exception as error:
        raise UpstreamError("cut", f"The local model failed while answering: {error}") from None
    finally:
        channel.send(DONE)


def _generate(
    loaded: Loaded,
    messages: list[dict[str, Any]] | str,
    settings: dict[str, Any],
    channel: Channel,
) -> Outcome:
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList, TextStreamer

    class Streamer(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text and not channel.stop.is_set():
                channel.send(text)

    class StopWhenAsked(StoppingCriteria):
        # Checked after every token, so a consumer that went away costs at most one more step.
        def __call__(self, input_ids, scores, **kwargs):
            return torch.full(
                (input_ids.shape[0],), channel.stop.is_set(), dtype=torch.bool, device="cpu"
            )

    ids = prompt_ids(loaded, messages)
    config = copy.deepcopy(loaded.model.generation_config)
    settings = dict(settings)
    # Past its context a model does not fail: it writes nonsense, or crashes midway on
    # models with learned positions. OpenAI refuses such a prompt up front, and so does this.
    context = getattr(loaded.model.config, "max_position_embeddings", None)
    if isinstance(context, int) and context > 0:
        if len(ids) >= context:
            message = (
                f"This model's maximum context length is {context} tokens, but the messages "
                f"came to {len(ids)}. Shorten them, or start a new chat."
            )
            said = UpstreamSaid(message, "context_length_exceeded", "messages")
            raise UpstreamError("http", message, 400, said)
        settings["max_new_tokens"] = min(settings["max_new_tokens"], context - len(ids))
    seed = settings.pop("seed", None)
    config.update(**settings)
    if (config.min_new_tokens or 0) > config.max_new_tokens:
        # The model's own minimum yields to the answer's limit (else generate() warns).
        config.min_new_tokens = config.max_new_tokens
    if config.pad_token_id is None:
        # Without one, generate() warns on every answer; EOS is the usual stand-in.
        pad = loaded.tokenizer.pad_token_id
        config.pad_token_id = pad if pad is not None else min(loaded.eos_ids, default=0)
    if seed is not None and config.do_sample:
        # torch's RNG is process-wide; one generation at a time per model keeps this repeatable.
        torch.manual_seed(int(seed))
    input_ids = torch.tensor([ids], dtype=torch.long)
    with torch.inference_mode():
        output = loaded.model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            generation_config=config,
            streamer=Streamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True),
            stopping_criteria=StoppingCriteriaList([StopWhenAsked()]),
        )
    new = output[0, len(ids) :].tolist()
    ended = bool(new) and new[-1] in loaded.eos_ids
    full = len(new) >= config.max_new_tokens
    reason = "length" if full and not ended and not channel.stop.is_set() else "stop"
    return Outcome(len(ids), len(new), reason)
