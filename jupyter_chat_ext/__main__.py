"""``python -m jupyter_chat_ext openapi`` prints the REST API's OpenAPI document."""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    if argv[:1] != ["openapi"]:
        print("usage: python -m jupyter_chat_ext openapi", file=sys.stderr)
        return 2
    from .app import openapi_document

    json.dump(openapi_document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
