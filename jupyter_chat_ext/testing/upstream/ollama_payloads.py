"""Ollama response bodies: model listings, chat and generate lines, and their timing fields."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from .content import Answer, ollama_logprob

VERSION = "0.9.0"
MODIFIED_AT = "2024-01-01T00:00:00Z"
EXPIRES_AT = "2030-01-01T00:05:00Z"

# Durations are in nanoseconds, like Ollama's; fixed per token so they are predictable.
LOAD_NS = 1_000_000
PROMPT_TOKEN_NS = 1_000_000
EVAL_TOKEN_NS = 10_000_000


def tagged(name: str) -> str:
    """Ollama always shows a tag; `:latest` is the default one."""
    return name if ":" in name else f"{name}:latest"


def details() -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": "fake",
        "families": ["fake"],
        "parameter_size": "1B",
        "quantization_level": "Q4_0",
    }


def tag(name: str) -> dict[str, Any]:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {
        "name": tagged(name),
        "model": tagged(name),
        "modified_at": MODIFIED_AT,
        "size": 1_000_000 + int(digest[:5], 16),
        "digest": digest,
        "details": details(),
    }


def running(name: str) -> dict[str, Any]:
    """A model in memory, as `/api/ps` lists it (no `modified_at`; when it will be dropped)."""
    listed = tag(name)
    del listed["modified_at"]
    return {**listed, "expires_at": EXPIRES_AT, "size_vram": listed["size"], "context_length": 4096}


def show(name: str) -> dict[str, Any]:
    return {
        "modelfile": f"FROM {tagged(name)}\n",
        "parameters": "",
        "template": "{{ .Prompt }}",
        "details": details(),
        "model_info": {"general.architecture": "fake", "fake.context_length": 8192},
        "capabilities": ["completion", "tools", "embedding"],
        "modified_at": MODIFIED_AT,
    }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def timings(prompt_tokens: int, eval_tokens: int) -> dict[str, int]:
    prompt_ns = prompt_tokens * PROMPT_TOKEN_NS
    eval_ns = eval_tokens * EVAL_TOKEN_NS
    return {
        "total_duration": LOAD_NS + prompt_ns + eval_ns,
        "load_duration": LOAD_NS,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": prompt_ns,
        "eval_count": eval_tokens,
        "eval_duration": eval_ns,
    }


def done_reason(answer: Answer) -> str:
    # Ollama says "stop" after tool calls too; only a length limit differs.
    return "length" if answer.finish_reason == "length" else "stop"


def assistant(content: str, answer: Answer | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if answer is not None and answer.tool_calls:
        message["tool_calls"] = [
            {"function": {"name": c.name, "arguments": c.arguments}} for c in answer.tool_calls
        ]
    return message


def logprobs(pieces: list[str], top: int | None) -> dict[str, Any]:
    if top is None:
        return {}
    return {"logprobs": [ollama_logprob(p, top) for p in pieces]}
