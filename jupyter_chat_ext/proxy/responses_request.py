"""OpenAI's Responses API (``POST /v1/responses``) asked in chat completions' terms: a request
(checked by ``checks.check_responses``) said as a chat, which every connection answers."""

from __future__ import annotations

from typing import Any

from .checks import openai_says
from .errors import ProxyError

# What a request includes to have its text's log-probabilities (``top_logprobs`` says how
# many alternatives each token comes with).
LOGPROBS = "message.output_text.logprobs"


def chat_request(body: dict[str, Any]) -> dict[str, Any]:
    """The chat completions request that asks what ``body`` asks."""
    messages: list[dict[str, Any]] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": body["instructions"]})
    value = body["input"]
    items = [{"role": "user", "content": value}] if isinstance(value, str) else value
    for i, item in enumerate(items):
        _add_item(messages, item, f"input[{i}]")
    chat: dict[str, Any] = {"model": body["model"], "messages": messages}
    for name in ("temperature", "top_p", "parallel_tool_calls", "user"):
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = body["max_output_tokens"]
    if body.get("tools"):
        chat["tools"] = [_tool(t, i) for i, t in enumerate(body["tools"])]
    if body.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(body["tool_choice"])
    response_format = _format((body.get("text") or {}).get("format"))
    if response_format:
        chat["response_format"] = response_format
    if LOGPROBS in (body.get("include") or ()):
        chat["logprobs"] = True
        chat["top_logprobs"] = body.get("top_logprobs") or 0
    effort = (body.get("reasoning") or {}).get("effort")
    if effort:
        chat["reasoning_effort"] = effort
    return chat


def _add_item(messages: list[dict[str, Any]], item: Any, at: str) -> None:
    if not isinstance(item, dict):
        raise ProxyError(openai_says(at, "an object"), param=at)
    kind = item.get("type") or "message"
    if kind == "message":
        role = item.get("role")
        if role not in ("user", "system", "developer", "assistant"):
            raise ProxyError(
                openai_says(f"{at}.role", "'user', 'system', 'developer' or 'assistant'"),
                param=f"{at}.role",
            )
        messages.append({"role": role, "content": _content(item.get("content"), f"{at}.content")})
    elif kind == "function_call":
        call = {
            "id": _text(item, "call_id", at),
            "type": "function",
            "function": {
                "name": _text(item, "name", at),
                "arguments": _text(item, "arguments", at),
            },
        }
        last = messages[-1] if messages else {}
        if last.get("role") == "assistant" and "tool_calls" in last:
            last["tool_calls"].append(call)  # calls made in one turn
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind == "function_call_output":
        output = item.get("output")
        content = output if isinstance(output, str) else _content(output, f"{at}.output")
        messages.append(
            {"role": "tool", "tool_call_id": _text(item, "call_id", at), "content": content}
        )
    elif kind != "reasoning":
        # An earlier answer's reasoning has no place in a chat; it is left behind, as a chat
        # client leaves a model's thoughts out of the next question.
        raise ProxyError(
            f"Input items of type {kind!r} are not taken here: messages, function calls and "
            "their outputs are.",
            param=f"{at}.type",
        )


def _text(item: dict[str, Any], name: str, at: str) -> str:
    value = item.get(name)
    if not isinstance(value, str):
        raise ProxyError(openai_says(f"{at}.{name}", "a string"), param=f"{at}.{name}")
    return value


def _content(value: Any, at: str) -> Any:
    """A message's content as a chat message holds it: text, or text and image parts."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ProxyError(openai_says(at, "a string or an array of content parts"), param=at)
    parts = []
    for i, part in enumerate(value):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text", "text", "refusal"):
            text = part.get("refusal" if kind == "refusal" else "text")
            parts.append({"type": "text", "text": text if isinstance(text, str) else ""})
        elif kind == "input_image" and isinstance(part.get("image_url"), str):
            image = {"url": part["image_url"]}
            if part.get("detail"):
                image["detail"] = part["detail"]
            parts.append({"type": "image_url", "image_url": image})
        else:
            raise ProxyError(
                f"Content of type {kind!r} is not taken here: text, and images by URL, are.",
                param=f"{at}[{i}]",
            )
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def _tool(tool: Any, i: int) -> dict[str, Any]:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        kind = tool.get("type") if isinstance(tool, dict) else None
        raise ProxyError(
            f"Tools of type {kind!r} are not offered here: function tools are.",
            param=f"tools[{i}]",
        )
    if not isinstance(tool.get("name"), str):
        raise ProxyError(openai_says(f"tools[{i}].name", "a string"), param=f"tools[{i}].name")
    function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise ProxyError(
        openai_says("tool_choice", "'auto', 'none', 'required' or a function"),
        param="tool_choice",
    )


def _format(value: Any) -> dict[str, Any] | None:
    if value is None or value == {"type": "text"}:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema" and isinstance(value.get("schema"), dict):
        names = ("name", "schema", "strict", "description")
        return {"type": "json_schema", "json_schema": {k: value[k] for k in names if k in value}}
    raise ProxyError(
        openai_says("text.format", "a text, json_object or json_schema format"),
        param="text.format",
    )
