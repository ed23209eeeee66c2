"""OpenAI response bodies, built from answers: completions, stream chunks, embeddings, errors."""

from __future__ import annotations

import base64
import json
import struct
from itertools import zip_longest
from typing import Any

from .content import Answer, openai_logprob, split_arguments, split_chunks

FINGERPRINT = "fp_fake_upstream"
MODEL_CREATED = 1_700_000_000

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def error(
    status: int,
    message: str,
    *,
    kind: str | None = None,
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(
        status, "server_error" if status >= 500 else kind or "invalid_request_error"
    )
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def model(model_id: str) -> dict[str, Any]:
    return {
        "id": model_id,
        "object": "model",
        "created": MODEL_CREATED,
        "owned_by": "fake-upstream",
    }


def usage(prompt_tokens: int, answers: list[Answer]) -> dict[str, int]:
    completion = sum(a.completion_tokens for a in answers)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
    }


def _logprobs(pieces: list[str], top: int) -> dict[str, Any]:
    return {"content": [openai_logprob(p, top) for p in pieces], "refusal": None}


def _tool_call(call: Any) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments_json},
    }


def completion(
    *,
    completion_id: str,
    created: int,
    model_name: str,
    answers: list[Answer],
    prompt_tokens: int,
    chunks: int | None,
    logprobs: int | None,
) -> dict[str, Any]:
    """A non-streaming `chat.completion`; `logprobs` is the top count, None when not asked."""
    choices = []
    for index, answer in enumerate(answers):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if answer.tool_calls else answer.text,
            "refusal": None,
            "annotations": [],
        }
        if answer.tool_calls:
            message["tool_calls"] = [_tool_call(c) for c in answer.tool_calls]
        if answer.reasoning:
            # The field DeepSeek's API, vLLM and LiteLLM use for a model's reasoning.
            message["reasoning_content"] = answer.reasoning
        pieces = split_chunks(answer.text, chunks)
        choices.append(
            {
                "index": index,
                "message": message,
                "logprobs": _logprobs(pieces, logprobs) if logprobs is not None else None,
                "finish_reason": answer.finish_reason,
            }
        )
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model_name,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
        "usage": usage(prompt_tokens, answers),
    }


def _choice_deltas(
    index: int, answer: Answer, chunks: int | None, logprobs: int | None
) -> list[dict[str, Any]]:
    """One choice's stream: role first, then content or tool-call fragments, then the reason."""

    def choice(delta: dict[str, Any], *, lp: Any = None, reason: str | None = None) -> dict:
        return {"index": index, "delta": delta, "logprobs": lp, "finish_reason": reason}

    if answer.tool_calls:
        out = []
        for n, call in enumerate(answer.tool_calls):
            head = {
                "index": n,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            delta: dict[str, Any] = {"tool_calls": [head]}
            if n == 0:
                delta = {"role": "assistant", "content": None, "refusal": None, **delta}
            out.append(choice(delta))
            out.extend(
                choice({"tool_calls": [{"index": n, "function": {"arguments": fragment}}]})
                for fragment in split_arguments(call.arguments_json)
            )
    else:
        out = [choice({"role": "assistant", "content": "", "refusal": None})]
        if answer.reasoning:
            out.extend(
                choice({"reasoning_content": piece})
                for piece in split_chunks(answer.reasoning, chunks)
            )
        out.extend(
            choice(
                {"content": piece},
                lp=_logprobs([piece], logprobs) if logprobs is not None else None,
            )
            for piece in split_chunks(answer.text, chunks)
            if piece
        )
    out.append(choice({}, reason=answer.finish_reason))
    return out


def stream_chunks(
    *,
    completion_id: str,
    created: int,
    model_name: str,
    answers: list[Answer],
    prompt_tokens: int,
    chunks: int | None,
    logprobs: int | None,
    include_usage: bool,
) -> list[dict[str, Any]]:
    """Every `chat.completion.chunk` of a stream, choices interleaved as with `n` > 1."""
    per_choice = [_choice_deltas(i, a, chunks, logprobs) for i, a in enumerate(answers)]
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model_name,
        "system_fingerprint": FINGERPRINT,
    }
    extra = {"usage": None} if include_usage else {}
    out = [
        {**base, "choices": [c], **extra}
        for step in zip_longest(*per_choice)
        for c in step
        if c is not None
    ]
    if include_usage:
        out.append({**base, "choices": [], "usage": usage(prompt_tokens, answers)})
    return out


def _text_logprobs(pieces: list[str], top: int, offset: int) -> dict[str, Any]:
    """The legacy completions' logprobs: parallel lists, one entry per token."""
    entries = [openai_logprob(p, top) for p in pieces]
    offsets = []
    for piece in pieces:
        offsets.append(offset)
        offset += len(piece)
    return {
        "tokens": pieces,
        "token_logprobs": [e["logprob"] for e in entries],
        "top_logprobs": [{t["token"]: t["logprob"] for t in e["top_logprobs"]} for e in entries],
        "text_offset": offsets,
    }


def text_completion(
    *,
    completion_id: str,
    created: int,
    model_name: str,
    answers: list[Answer],
    echoes: list[str],
    prompt_tokens: int,
    chunks: int | None,
    logprobs: int | None,
) -> dict[str, Any]:
    """A non-streaming legacy ``text_completion``; ``echoes`` is what each choice repeats of
    its prompt first (empty unless ``echo``)."""
    choices = []
    for index, (answer, echo) in enumerate(zip(answers, echoes, strict=True)):
        pieces = split_chunks(answer.text, chunks)
        lp = _text_logprobs(pieces, logprobs, len(echo)) if logprobs is not None else None
        choices.append(
            {
                "text": echo + answer.text,
                "index": index,
                "logprobs": lp,
                "finish_reason": answer.finish_reason,
            }
        )
    return {
        "id": completion_id,
        "object": "text_completion",
        "created": created,
        "model": model_name,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
        "usage": usage(prompt_tokens, answers),
    }


def text_stream_chunks(
    *,
    completion_id: str,
    created: int,
    model_name: str,
    answers: list[Answer],
    echoes: list[str],
    prompt_tokens: int,
    chunks: int | None,
    logprobs: int | None,
    include_usage: bool,
) -> list[dict[str, Any]]:
    """Every chunk of a streamed ``text_completion``: text pieces, then each choice's reason."""
    base = {
        "id": completion_id,
        "object": "text_completion",
        "created": created,
        "model": model_name,
        "system_fingerprint": FINGERPRINT,
    }
    extra = {"usage": None} if include_usage else {}

    def chunk(index: int, text: str, lp: Any = None, reason: str | None = None) -> dict:
        choice = {"text": text, "index": index, "logprobs": lp, "finish_reason": reason}
        return {**base, "choices": [choice], **extra}

    out = []
    for index, (answer, echo) in enumerate(zip(answers, echoes, strict=True)):
        if echo:
            out.append(chunk(index, echo))
        offset = len(echo)
        for piece in split_chunks(answer.text, chunks):
            if not piece:
                continue
            lp = _text_logprobs([piece], logprobs, offset) if logprobs is not None else None
            out.append(chunk(index, piece, lp))
            offset += len(piece)
        out.append(chunk(index, "", reason=answer.finish_reason))
    if include_usage:
        out.append({**base, "choices": [], "usage": usage(prompt_tokens, answers)})
    return out


def sse(data: bytes) -> bytes:
    """One server-sent event carrying `data` (a JSON document, or `[DONE]`)."""
    return b"data: " + data + b"\n\n"


# Line ends, one for each event in turn: the standard allows all three.
_LINE_ENDS = (b"\r\n", b"\r", b"\n")


class Spread:
    """Server-sent events as the standard allows and few servers send them: a JSON document
    over several `data:` lines (which a reader joins with LF), with and without the space
    after the colon, an empty `data:` line, comments, `event`, `id` and `retry` fields, an
    event with no data (which a reader skips), and CRLF, CR and LF line ends in turn."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, data: bytes) -> bytes:
        end = _LINE_ENDS[self.count % len(_LINE_ENDS)]
        self.count += 1
        try:
            lines = json.dumps(json.loads(data), indent=1).encode().split(b"\n")
        except ValueError:
            lines = [data]  # [DONE], or garbage: as it is
        head = [b": keep-alive", b"id: " + str(self.count).encode(), b"retry: 3000"]
        if self.count % 2:
            head.append(b"event: message")
        body = [b"data:" + (b" " if i % 2 else b"") + line for i, line in enumerate(lines)]
        nothing = b"id: " + str(self.count).encode() + end + end
        return nothing + end.join([*head, *body, b"data:"]) + end + end


def embeddings(
    vectors: list[list[float]], *, model_name: str, tokens: int, encoding: str
) -> dict[str, Any]:
    def encoded(vector: list[float]) -> Any:
        if encoding == "base64":
            # The official client asks for base64: little-endian float32, as OpenAI sends it.
            return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        return vector

    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encoded(v)}
            for i, v in enumerate(vectors)
        ],
        "model": model_name,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
