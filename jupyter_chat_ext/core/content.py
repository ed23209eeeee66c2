"""A message's text, whatever the shape of its content."""

from __future__ import annotations

from typing import Any


def content_text(content: Any) -> str:
    """A string as it is, OpenAI's content parts as their text parts joined by lines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return "" if content is None else str(content)
