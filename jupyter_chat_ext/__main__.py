"""Command-line helpers.

``python -m jupyter_chat_ext openapi`` prints the REST API's OpenAPI document;
``python -m jupyter_chat_ext config`` prints the configuration reference in Markdown.
"""

from __future__ import annotations

import json
import sys


def config_reference() -> str:
    """A Markdown table of every option ChatExtApp adds to Jupyter Server's own."""
    import inspect

    from jupyter_server.extension.application import ExtensionApp

    from .app import ChatExtApp

    inherited = set(ExtensionApp.class_traits(config=True))
    lines = ["| Option | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for name, trait in sorted(ChatExtApp.class_traits(config=True).items()):
        if name in inherited:
            continue
        default = trait.default_value_repr()
        if name == "owner":
            default = "$JUPYTERHUB_USER or the OS user"
        help_text = " ".join(inspect.cleandoc(trait.help).split())
        kind = type(trait).__name__
        lines.append(f"| `ChatExtApp.{name}` | {kind} | `{default}` | {help_text} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["openapi"]:
        from .routes import openapi_document

        json.dump(openapi_document(), sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    if argv[:1] == ["config"]:
        sys.stdout.write(config_reference())
        return 0
    print("usage: python -m jupyter_chat_ext openapi|config", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
