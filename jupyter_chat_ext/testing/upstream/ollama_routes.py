"""The Ollama routes under `/api`: tags, ps, version, show, chat, generate and embeddings.

Ollama streams by default (`"stream": false` turns it off) as newline-delimited JSON, and its
errors are `{"error": "..."}`.
"""

from __future__ import annotations

import json
from typing import Any

from . import ollama_payloads as payloads
from .base_handler import BadRequest, UpstreamHandler
from .content import Answer, compose, count_tokens, embedding, prompt_tokens, split_chunks

NDJSON = "application/x-ndjson"
# The requests that load a model into memory.
_LOADS = frozenset({"/api/chat", "/api/generate", "/api/embed", "/api/embeddings"})


def _ndjson(data: bytes) -> bytes:
    return data + b"\n"


class OllamaHandler(UpstreamHandler):
    def error_payload(self, status: int, message: str, **_: Any) -> Any:
        return {"error": message}

    def json_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise BadRequest("invalid character in request body: expected a JSON object")
        return self.body

    def require_model(self, body: dict[str, Any]) -> str:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise BadRequest("model is required")
        if self.model is None:
            raise BadRequest(f'model "{name}" not found, try pulling it first', status=404)
        return name

    async def answer(
        self, body: dict[str, Any], model: str, messages: list[dict[str, Any]], field: str
    ) -> None:
        """Chat and generate differ only in where the text goes (`message` or `response`)."""
        options = body.get("options") or {}
        num_predict = options.get("num_predict")
        answer = compose(
            messages,
            canned=self.state.settings.reply,
            tools=_tool_names(body),
            json_mode=body.get("format") not in (None, ""),
            stop=options.get("stop"),
            max_tokens=num_predict if isinstance(num_predict, int) and num_predict >= 0 else None,
            # As Ollama: "think": false asks a thinking model to answer without thinking.
            think=None if body.get("think") is False else self.think,
        )
        top = _top_logprobs(body)
        pieces = [p for p in split_chunks(answer.text, self.chunks) if p]
        final = {
            "model": model,
            "created_at": payloads.now(),
            **_content(field, "", None),
            "done": True,
            "done_reason": payloads.done_reason(answer),
            **payloads.timings(prompt_tokens(messages), answer.completion_tokens),
        }
        if field == "response":
            final["context"] = list(range(1, count_tokens(answer.text) + 1))
        if body.get("stream", True) is False:
            whole = _content(field, answer.text, answer)
            if answer.reasoning:
                (whole["message"] if field == "message" else whole)["thinking"] = answer.reasoning
            await self.send_json({**final, **whole, **payloads.logprobs(pieces, top)})
            return
        lines = [
            {
                "model": model,
                "created_at": payloads.now(),
                **_content(field, "", None),
                **_thinking(field, piece),
                "done": False,
            }
            for piece in (split_chunks(answer.reasoning, self.chunks) if answer.reasoning else [])
        ]
        lines += [
            {
                "model": model,
                "created_at": payloads.now(),
                **_content(field, piece, None),
                **payloads.logprobs([piece], top),
                "done": False,
            }
            for piece in pieces
        ]
        if answer.tool_calls:
            # Ollama sends the calls whole, in one line, never as fragments.
            lines.append(
                {
                    "model": model,
                    "created_at": payloads.now(),
                    **_content(field, "", answer),
                    "done": False,
                }
            )
        await self.send_stream(
            lines,
            content_type=NDJSON,
            frame=_ndjson,
            done=_ndjson(_dumps(final)),
            error={"error": self.fault_message(500)},
        )


class RootHandler(OllamaHandler):
    async def get(self) -> None:
        # Clients and load balancers probe this to see that the server is up.
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("Ollama is running")


class TagsHandler(OllamaHandler):
    async def get(self) -> None:
        await self.send_json({"models": [payloads.tag(m) for m in self.state.settings.models]})


class RunningHandler(OllamaHandler):
    """`/api/ps`: a model is in memory once something has asked it for an answer."""

    async def get(self) -> None:
        asked = {
            served
            for r in self.state.requests
            if r.path in _LOADS
            and isinstance(r.body, dict)
            and isinstance(r.body.get("model"), str)
            for served in [self.state.resolve_model(r.body["model"])[0]]
            if served is not None
        }
        models = [m for m in self.state.settings.models if m.removesuffix(":latest") in asked]
        await self.send_json({"models": [payloads.running(m) for m in models]})


class VersionHandler(OllamaHandler):
    async def get(self) -> None:
        await self.send_json({"version": payloads.VERSION})


class ShowHandler(OllamaHandler):
    async def post(self) -> None:
        body = self.json_body()
        self.require_model(body)
        await self.send_json(payloads.show(body["model"]))


class ChatHandler(OllamaHandler):
    async def post(self) -> None:
        body = self.json_body()
        model = self.require_model(body)
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise BadRequest("messages must be a list of objects")
        if not messages:
            # An empty chat only loads the model, as in Ollama.
            await self.send_json(_loaded(model, "message", body))
            return
        await self.answer(body, model, messages, "message")


class GenerateHandler(OllamaHandler):
    async def post(self) -> None:
        body = self.json_body()
        model = self.require_model(body)
        prompt = body.get("prompt") or ""
        if not isinstance(prompt, str):
            raise BadRequest("prompt must be a string")
        if not prompt:
            await self.send_json(_loaded(model, "response", body))
            return
        user = {"role": "user", "content": prompt, "images": body.get("images") or []}
        system = body.get("system")
        messages = [{"role": "system", "content": system}, user] if system else [user]
        await self.answer(body, model, messages, "response")


class EmbedHandler(OllamaHandler):
    async def post(self) -> None:
        body = self.json_body()
        model = self.require_model(body)
        value = body.get("input")
        # Ollama embeds nothing for a missing or empty input, and says so with a 200.
        texts = ([value] if value else []) if isinstance(value, str) else value or []
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise BadRequest("invalid input type")
        dimensions = body.get("dimensions") or self.state.settings.dimensions
        if not isinstance(dimensions, int) or dimensions < 1:
            raise BadRequest("dimensions must be a positive integer")
        tokens = sum(count_tokens(t) for t in texts)
        timing = payloads.timings(tokens, 0)
        await self.send_json(
            {
                "model": model,
                "embeddings": [embedding(t, dimensions) for t in texts],
                "total_duration": timing["total_duration"],
                "load_duration": timing["load_duration"],
                "prompt_eval_count": tokens,
            }
        )


class LegacyEmbeddingsHandler(OllamaHandler):
    """`/api/embeddings`, the older single-prompt form some clients still use."""

    async def post(self) -> None:
        body = self.json_body()
        self.require_model(body)
        prompt = body.get("prompt") or ""
        vector = embedding(prompt, self.state.settings.dimensions) if prompt else []
        await self.send_json({"embedding": vector})


class NotFoundHandler(OllamaHandler):
    """Any other path: Ollama's router answers in plain text."""

    def error_payload(self, status: int, message: str, **_: Any) -> Any:
        return "404 page not found" if status == 404 else message

    async def _not_found(self, *args: Any) -> None:
        raise BadRequest("404 page not found", status=404)

    get = post = put = delete = patch = _not_found


def _content(field: str, text: str, answer: Answer | None) -> dict[str, Any]:
    if field == "message":
        return {"message": payloads.assistant(text, answer)}
    return {"response": text}


def _thinking(field: str, text: str) -> dict[str, Any]:
    """Where Ollama puts a model's reasoning: beside the text of a chat message, or beside
    the response of generate."""
    if not text:
        return {}
    if field == "message":
        return {"message": {"role": "assistant", "content": "", "thinking": text}}
    return {"thinking": text}


def _loaded(model: str, field: str, body: dict[str, Any]) -> dict[str, Any]:
    """Nothing to say: the model is loaded, or unloaded with a keep_alive of zero. Ollama
    answers with this one JSON object (no newline), whether or not the request streams."""
    unload = body.get("keep_alive") in (0, "0", "0s", "0m")
    return {
        "model": model,
        "created_at": payloads.now(),
        **_content(field, "", None),
        "done": True,
        "done_reason": "unload" if unload else "load",
    }


def _tool_names(body: dict[str, Any]) -> list[str]:
    tools = body.get("tools") or []
    names = [
        ((t.get("function") or {}).get("name") if isinstance(t, dict) else None) for t in tools
    ]
    return [n for n in names if isinstance(n, str) and n]


def _top_logprobs(body: dict[str, Any]) -> int | None:
    if not body.get("logprobs"):
        return None
    top = body.get("top_logprobs") or 0
    if not isinstance(top, int) or not 0 <= top <= 20:
        raise BadRequest("top_logprobs must be between 0 and 20")
    return top


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload).encode()
