"""Run a fake upstream until killed: `python -m jupyter_chat_ext.testing.upstream --port 0`.

With `--print-url` the base URL is the first line on stdout, for scripts and `UpstreamProcess`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from .faults import Faults
from .server import FakeUpstream
from .state import Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_chat_ext.testing.upstream",
        description="A fake OpenAI- and Ollama-compatible model server on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks one")
    parser.add_argument("--print-url", action="store_true", help="print the base URL on stdout")
    parser.add_argument(
        "--model", action="append", dest="models", help="a served model id (repeatable)"
    )
    parser.add_argument("--api-key", help="require `Authorization: Bearer <key>`")
    parser.add_argument("--reply", default="", help="canned text appended to every reply")
    parser.add_argument("--chunks", type=int, help="pieces per streamed reply (default: per word)")
    parser.add_argument("--dimensions", type=int, default=Settings.dimensions)
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between chunks")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--faults", type=json.loads, default={}, help="more faults, as JSON")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    faults = Faults.from_json(
        {
            "chunk_delay": args.chunk_delay,
            "first_token_delay": args.first_token_delay,
            **args.faults,
        }
    )
    server = FakeUpstream(
        models=args.models or Settings.models,
        api_key=args.api_key,
        reply=args.reply,
        chunks=args.chunks,
        dimensions=args.dimensions,
        faults=faults,
        port=args.port,
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await server.start()
    if args.print_url:
        print(server.url, flush=True)
    print(f"fake upstream listening on {server.url} (OpenAI: {server.openai_url})", file=sys.stderr)
    await stopping.wait()
    await server.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
