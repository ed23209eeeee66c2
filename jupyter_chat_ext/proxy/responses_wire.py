"""The Responses API's answer, built from typed deltas: its stream of events (``response.created``
to ``response.completed``) and the whole ``response`` object, with an output item for the
model's reasoning, its text, and each function call, in the order they came."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from ..providers.base import Delta, Finish, ReasoningDelta, TextDelta, ToolCallDelta, Usage


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class ResponseEvents:
    """One response: ``start()``, then ``add(delta)`` for each delta, then ``end()``, each
    returning the events to send; ``whole()`` is the response object at any point."""

    def __init__(self, model: str, request: dict[str, Any]):
        self.model = model
        self.request = request
        self.id = _id("resp")
        self.created = int(time.time())
        self.sequence = 0
        self.status = "in_progress"
        self.output: list[dict[str, Any]] = []
        # The items still being written: reasoning and text (one each at a time), and the
        # function calls by their index in the upstream's stream.
        self.open: dict[str, dict[str, Any]] = {}
        self.calls: dict[int, dict[str, Any]] = {}
        self.usage: Usage | None = None
        self.reason: str | None = None

    # -- events ---------------------------------------------------------------------------------

    def _event(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()

    def start(self) -> bytes:
        return self._event("response.created", response=self.whole()) + self._event(
            "response.in_progress", response=self.whole()
        )

    def add(self, delta: Delta) -> bytes:
        if isinstance(delta, ReasoningDelta) and delta.text:
            return self._reasoning(delta.text)
        if isinstance(delta, TextDelta) and (delta.text or delta.logprobs):
            return self._text(delta.text, delta.logprobs or [])
        if isinstance(delta, ToolCallDelta):
            return self._call(delta)
        if isinstance(delta, Usage):
            self.usage = delta
        elif isinstance(delta, Finish):
            self.reason = delta.reason
        return b""

    def end(self) -> bytes:
        frames = self._close_all()
        self.status = "incomplete" if self.reason == "length" else "completed"
        return frames + self._event(f"response.{self.status}", response=self.whole())

    # -- items ----------------------------------------------------------------------------------

    def _item(self, kind: str, item: dict[str, Any]) -> bytes:
        item = {"id": _id({"message": "msg", "reasoning": "rs"}.get(kind, "fc")), **item}
        self.output.append(item)
        return self._event(
            "response.output_item.added", output_index=len(self.output) - 1, item=item
        )

    def _where(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"item_id": item["id"], "output_index": self.output.index(item)}

    def _reasoning(self, text: str) -> bytes:
        frames = self._close("message")
        item = self.open.get("reasoning")
        if item is None:
            part = {"type": "reasoning_text", "text": ""}
            new = {"type": "reasoning", "status": "in_progress", "summary": [], "content": [part]}
            frames += self._item("reasoning", new)
            item = self.open["reasoning"] = self.output[-1]
        item["content"][0]["text"] += text
        where = self._where(item)
        return frames + self._event(
            "response.reasoning_text.delta", **where, content_index=0, delta=text
        )

    def _text(self, text: str, logprobs: list[dict[str, Any]]) -> bytes:
        frames = self._close("reasoning")
        item = self.open.get("message")
        if item is None:
            new = {"type": "message", "status": "in_progress", "role": "assistant", "content": []}
            frames += self._item("message", new)
            item = self.open["message"] = self.output[-1]
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            item["content"].append(part)
            frames += self._event(
                "response.content_part.added", **self._where(item), content_index=0, part=part
            )
        item["content"][0]["text"] += text
        item["content"][0]["logprobs"] += logprobs
        return frames + self._event(
            "response.output_text.delta",
            **self._where(item),
            content_index=0,
            delta=text,
            logprobs=logprobs,
        )

    def _call(self, delta: ToolCallDelta) -> bytes:
        frames = b""
        item = self.calls.get(delta.index)
        if item is None:
            frames += self._close("reasoning") + self._close("message")
            new = {
                "type": "function_call",
                "status": "in_progress",
                "call_id": delta.id or _id("call"),
                "name": delta.name or "",
                "arguments": "",
            }
            frames += self._item("function_call", new)
            item = self.calls[delta.index] = self.output[-1]
        elif delta.name and not item["name"]:
            item["name"] = delta.name
        if delta.arguments:
            item["arguments"] += delta.arguments
            frames += self._event(
                "response.function_call_arguments.delta",
                **self._where(item),
                delta=delta.arguments,
            )
        return frames

    def _close(self, kind: str) -> bytes:
        item = self.open.pop(kind, None)
        if item is None:
            return b""
        item["status"] = "completed"
        where = self._where(item)
        part = item["content"][0]
        if kind == "message":
            frames = self._event(
                "response.output_text.done",
                **where,
                content_index=0,
                text=part["text"],
                logprobs=part["logprobs"],
            )
            frames += self._event("response.content_part.done", **where, content_index=0, part=part)
        else:
            frames = self._event(
                "response.reasoning_text.done", **where, content_index=0, text=part["text"]
            )
        return frames + self._event(
            "response.output_item.done", output_index=where["output_index"], item=item
        )

    def _close_all(self) -> bytes:
        frames = self._close("reasoning") + self._close("message")
        for item in self.calls.values():
            if item["status"] == "completed":
                continue
            item["status"] = "completed"
            where = self._where(item)
            frames += self._event(
                "response.function_call_arguments.done", **where, arguments=item["arguments"]
            )
            frames += self._event(
                "response.output_item.done", output_index=where["output_index"], item=item
            )
        return frames

    # -- the response object ----------------------------------------------------------------------

    def whole(self) -> dict[str, Any]:
        """The response as it stands (``end()`` first for the finished one)."""
        request = self.request
        u = self.usage
        usage = None
        if u is not None or self.status != "in_progress":
            u = u or Usage(0, 0, 0)
            reasoned = any(item["type"] == "reasoning" for item in self.output)
            usage = {
                "input_tokens": u.prompt_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": u.completion_tokens,
                # How much of the answer the reasoning was is not told; none is, when none.
                "output_tokens_details": {} if reasoned else {"reasoning_tokens": 0},
                "total_tokens": u.total_tokens,
            }
        incomplete = {"reason": "max_output_tokens"} if self.status == "incomplete" else None
        effort = (request.get("reasoning") or {}).get("effort")
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": self.status,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": request.get("instructions"),
            "max_output_tokens": request.get("max_output_tokens"),
            "model": self.model,
            "output": self.output,
            "parallel_tool_calls": request.get("parallel_tool_calls", True),
            "previous_response_id": None,
            "reasoning": {"effort": effort, "summary": None},
            # Nothing is kept here, whatever was asked.
            "store": False,
            "temperature": request.get("temperature"),
            "text": request.get("text") or {"format": {"type": "text"}},
            "tool_choice": request.get("tool_choice", "auto"),
            "tools": request.get("tools") or [],
            "top_p": request.get("top_p"),
            "truncation": "disabled",
            "usage": usage,
            "user": request.get("user"),
            "metadata": request.get("metadata") or {},
        }
