"""What the fake model says: deterministic replies, chunks, token counts, tool calls, embeddings.

Everything here is a pure function of the request, so a test can compute the expected answer
with the same functions instead of hard-coding strings.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

ECHO_PREFIX = "You said: "
THINK_PREFIX = "Thinking about: "
# How chat-ext asks a model to name a chat; the conversation follows, its question first.
TITLE_ASK = "Write a short title"
_QUESTION_LINE = re.compile(r"^User: (.*)$", re.MULTILINE)
TITLE_WORDS = 5

# `call:<name>({"json": "args"})` in the last user message asks the model to call a tool.
_TRIGGER = re.compile(r"call:([A-Za-z0-9_.\-]+)\(")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments, separators=(",", ":"))


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or OpenAI's list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def image_count(message: dict[str, Any]) -> int:
    """Images attached to a message, in OpenAI (content parts) or Ollama (`images`) form."""
    content = message.get("content")
    parts = content if isinstance(content, list) else []
    openai_images = sum(
        1 for p in parts if isinstance(p, dict) and p.get("type") in ("image_url", "input_image")
    )
    images = message.get("images")
    return openai_images + (len(images) if isinstance(images, list) else 0)


def count_tokens(text: str) -> int:
    """Token counts are whitespace-separated words, so tests can predict usage numbers."""
    return len(text.split())


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(count_tokens(text_of(m.get("content"))) for m in messages)


def reply_for(messages: list[dict[str, Any]], canned: str = "") -> str:
    """The assistant's answer to a conversation, before stop sequences and length limits.

    After a tool result the model reports it (so tool loops terminate); asked to name a chat,
    it gives the question's first words; otherwise it echoes the last user message, notes
    attached images, and appends the server's canned reply.
    """
    if messages and messages[-1].get("role") == "tool":
        return f"Tool result: {text_of(messages[-1].get('content'))}"
    user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    said = text_of(user.get("content"))
    if said.startswith(TITLE_ASK):
        return title_for(said)
    reply = ECHO_PREFIX + said
    images = image_count(user)
    if images:
        reply += f" [{images} image{'s' if images > 1 else ''}]"
    if canned:
        # After a text of several lines (a code block, say) the canned words are a paragraph
        # of their own, so that they close nothing the echo opened.
        reply += ("\n\n" if "\n" in said else " ") + canned
    return reply


def title_for(ask: str) -> str:
    """A chat's title, as a model asked for one gives it: the question's first words."""
    question = _QUESTION_LINE.search(ask)
    words = (question.group(1) if question else "").split()[:TITLE_WORDS]
    # Only the first letter is raised: the rest keeps its case, so "I" and names stay as written.
    title = " ".join(words)
    return title[:1].upper() + title[1:] or "Untitled"


def choice_variant(reply: str, index: int) -> str:
    """Choices after the first differ by a suffix, so a test can tell `n` choices apart."""
    return reply if index == 0 else f"{reply} #{index + 1}"


def as_json_reply(reply: str) -> str:
    """JSON mode: the content must parse as a JSON object."""
    return json.dumps({"reply": reply})


def apply_stop(text: str, stop: str | list[str] | None) -> str:
    """Cut the text before the earliest stop sequence, as servers do (the sequence is dropped)."""
    sequences = [stop] if isinstance(stop, str) else list(stop or [])
    cut = min((i for s in sequences if s and (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]


def apply_max_tokens(text: str, max_tokens: int | None) -> tuple[str, bool]:
    """Keep the first `max_tokens` words; say whether the text was cut ("length")."""
    if max_tokens is None or count_tokens(text) <= max_tokens:
        return text, False
    words = list(re.finditer(r"\S+", text))
    return text[: words[max_tokens - 1].end()] if max_tokens > 0 else "", True


def split_chunks(text: str, chunks: int | None) -> list[str]:
    """Split a reply into streamed pieces whose concatenation is the reply.

    With no count, one piece per word (leading whitespace attached, like real tokens). With a
    count, that many pieces of near-equal length; a reply shorter than the count is padded
    with dots so that a "200 chunk" stream really has 200 content deltas.
    """
    if chunks is None:
        pieces = re.findall(r"\s*\S+", text)
        rest = text[len("".join(pieces)) :]
        if rest:
            pieces = [*pieces[:-1], pieces[-1] + rest] if pieces else [rest]
        return pieces
    chunks = max(1, chunks)
    text = text + "." * max(0, chunks - len(text))
    size, extra = divmod(len(text), chunks)
    out, start = [], 0
    for i in range(chunks):
        end = start + size + (1 if i < extra else 0)
        out.append(text[start:end])
        start = end
    return out


def split_arguments(arguments: str, size: int = 8) -> list[str]:
    """Tool-call arguments stream as small string fragments, as OpenAI sends them."""
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]


def find_tool_calls(text: str, tool_names: set[str]) -> list[ToolCall]:
    """Every `call:name({...})` trigger whose tool the request offered, in order."""
    calls: list[ToolCall] = []
    decoder = json.JSONDecoder()
    for match in _TRIGGER.finditer(text):
        name = match.group(1)
        if name not in tool_names:
            continue
        rest = text[match.end() :].lstrip()
        if rest.startswith(")"):
            arguments: Any = {}
        else:
            try:
                arguments, used = decoder.raw_decode(rest)
            except ValueError:
                continue
            if not isinstance(arguments, dict) or not rest[used:].lstrip().startswith(")"):
                continue
        calls.append(make_tool_call(name, arguments, len(calls)))
    return calls


def make_tool_call(name: str, arguments: dict[str, Any], index: int) -> ToolCall:
    digest = hashlib.sha256(f"{index}:{name}:{json.dumps(arguments)}".encode()).hexdigest()
    return ToolCall(id=f"call_{digest[:24]}", name=name, arguments=arguments)


def logprob_for(token: str) -> float:
    """A stable, plausible log-probability for a token."""
    return -round((int(hashlib.sha256(token.encode()).hexdigest()[:4], 16) % 1000) / 1000, 3)


def openai_logprob(token: str, top: int) -> dict[str, Any]:
    def entry(t: str, lp: float) -> dict[str, Any]:
        return {"token": t, "logprob": lp, "bytes": list(t.encode())}

    best = logprob_for(token)
    alternatives = [entry(f"{token}~{i}", round(best - 1.0 - i, 3)) for i in range(1, top)]
    return {**entry(token, best), "top_logprobs": [entry(token, best), *alternatives][:top]}


def ollama_logprob(token: str, top: int) -> dict[str, Any]:
    item = openai_logprob(token, top)
    return {
        "token": item["token"],
        "logprob": item["logprob"],
        "top_logprobs": [
            {"token": t["token"], "logprob": t["logprob"]} for t in item["top_logprobs"]
        ],
    }


def embedding(text: str, dimensions: int) -> list[float]:
    """A unit vector from hashed words: texts that share words point the same way.

    That keeps retrieval tests meaningful (the chunk sharing the query's words ranks first)
    while staying deterministic and free of any model.
    """
    vector = [0.0] * dimensions
    words = _WORD.findall(text.lower()) or [text]
    for word in words:
        digest = hashlib.sha256(word.encode()).digest()
        bucket = int.from_bytes(digest[:4], "little") % dimensions
        vector[bucket] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        # Words that cancel out still need a usable (non-zero) vector.
        vector[
            int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") % dimensions
        ] = 1
        norm = 1.0
    return [round(v / norm, 6) for v in vector]


@dataclass(frozen=True)
class Answer:
    """One choice of a reply: either text or tool calls, and why it ended."""

    text: str
    tool_calls: list[ToolCall]
    finish_reason: str
    """OpenAI's words: "stop", "length" or "tool_calls"."""
    reasoning: str = ""
    """What the model thought before answering, sent apart from the text."""

    @property
    def completion_tokens(self) -> int:
        calls = sum(count_tokens(f"{c.name} {c.arguments_json}") for c in self.tool_calls)
        # Reasoning is generated, so it is counted, as OpenAI counts reasoning tokens.
        return count_tokens(self.text) + count_tokens(self.reasoning) + calls


def reasoning_for(messages: list[dict[str, Any]]) -> str:
    """A reasoning model's thoughts before it answers a conversation."""
    user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    return f"{THINK_PREFIX}{text_of(user.get('content'))}"


def compose(
    messages: list[dict[str, Any]],
    *,
    canned: str = "",
    tools: list[str] | None = None,
    tool_choice: Any = None,
    json_mode: bool = False,
    stop: str | list[str] | None = None,
    max_tokens: int | None = None,
    index: int = 0,
    think: str | None = None,
) -> Answer:
    """The whole answer for one choice, as both APIs give it; ``think`` as in ModelRequest."""
    last = messages[-1] if messages else {}
    if tools and tool_choice != "none" and last.get("role") == "user":
        calls = find_tool_calls(text_of(last.get("content")), set(tools))
        forced = _forced_tool(tool_choice, tools)
        if not calls and forced:
            calls = [make_tool_call(forced, {}, 0)]
        if calls:
            return Answer("", calls, "tool_calls")
    text = choice_variant(reply_for(messages, canned), index)
    if json_mode:
        text = as_json_reply(text)
    text = apply_stop(text, stop)
    text, cut = apply_max_tokens(text, max_tokens)
    reason = "length" if cut else "stop"
    if think == "tags":
        return Answer(f"<think>{reasoning_for(messages)}</think>\n\n{text}", [], reason)
    return Answer(text, [], reason, reasoning_for(messages) if think else "")


def _forced_tool(tool_choice: Any, tools: list[str]) -> str | None:
    """`required` or a named function makes the model call a tool even without a trigger."""
    if tool_choice == "required":
        return tools[0]
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name")
        return name if name in tools else None
    return None
