"""Rewrite the configuration reference in README.md from ChatExtApp's traits."""

from __future__ import annotations

from pathlib import Path

from jupyter_chat_ext.__main__ import config_reference

BEGIN, END = "<!-- config-reference:begin -->", "<!-- config-reference:end -->"
readme = Path(__file__).parents[1] / "README.md"
text = readme.read_text()
head, rest = text.split(BEGIN, 1)
_, tail = rest.split(END, 1)
readme.write_text(f"{head}{BEGIN}\n{config_reference()}{END}{tail}")
print(f"updated {readme}")
