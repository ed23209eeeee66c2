"""The options of ``%chat`` and ``%%chat``: leading ``-x``/``--xx`` words, then the prompt.

Only the options are split like a shell line; the prompt is taken as written (apostrophes,
quotes and all), from the first word that is not an option or after ``--``.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, NoReturn

FORMATS = ("markdown", "code", "text", "json")
# The server's sampling parameters (Params in its OpenAPI document); others go in "options".
PARAMS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "num_ctx",
    "repeat_penalty",
    "response_format",
    "options",
)
# A word as a shell reads one: quoted parts may sit anywhere in it (--system='Be brief').
_WORD = re.compile(r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s"'])+""")
_NUMBER = re.compile(r"-\d")


class OptionError(ValueError):
    """Bad options; the message is one line."""


@dataclass
class Options:
    prompt: str = ""
    model: str | None = None
    chat: str | None = None
    system: str | None = None
    format: str = "markdown"
    stream: bool = True
    output: bool = False
    params: dict[str, Any] = field(default_factory=dict)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise OptionError(message)


def _parser() -> _Parser:
    parser = _Parser(
        prog="%chat",
        add_help=False,
        # argparse %-formats usage and help texts: "%%" is one "%".
        usage="%%chat [options] prompt  |  %%%%chat [options], the prompt in the cell",
    )
    add = parser.add_argument
    add("-m", "--model", help="model id (see %%chat_models); later cells keep it")
    add("--chat", metavar="ID|new|last", help="chat to continue: an id, a new one, the newest")
    add("--system", help="system prompt for this answer")
    add("-f", "--format", choices=FORMATS, default="markdown", help="how to show the answer")
    add("--no-stream", action="store_true", help="show the answer only when it is complete")
    add(
        "-o",
        "--output",
        action="store_true",
        help="return the answer too (x = %%chat -o ...): its text, its code with -f code, "
        "its value with -f json",
    )
    add("--temperature", type=float)
    add("--top-p", dest="top_p", type=float)
    add("--top-k", dest="top_k", type=int)
    add("--max-tokens", dest="max_tokens", type=int)
    add("--seed", type=int)
    add("--stop", action="append", help="stop sequence (repeatable)")
    add(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other parameter, VALUE as JSON or text (repeatable)",
    )
    add("-h", "--help", action="store_true", help="show this help")
    return parser


def usage() -> str:
    return _parser().format_help()


def parse(line: str, cell: str | None = None) -> Options | None:
    """The options and prompt of a magic call; None when help was asked for."""
    parser = _parser()
    options = {option for action in parser._actions for option in action.option_strings}
    takes_value = {
        option
        for action in parser._actions
        if action.nargs != 0
        for option in action.option_strings
    }
    words: list[str] = []
    rest = ""
    matches = list(_WORD.finditer(line))
    index = 0
    while index < len(matches):
        word = matches[index].group(0)
        if word == "--":
            rest = line[matches[index].end() :].strip()
            break
        if not word.startswith("-") or word == "-" or _NUMBER.match(word):
            rest = line[matches[index].start() :].strip()
            break
        words.append(_unquote(word))
        if _takes_value(word, takes_value, options) and index + 1 < len(matches):
            index += 1
            words.append(_unquote(matches[index].group(0)))
        index += 1
    args = parser.parse_args(words)
    if args.help:
        return None
    prompt = "\n".join(part for part in (rest, (cell or "").strip()) if part)
    return Options(
        prompt=prompt,
        model=args.model,
        chat=args.chat,
        system=args.system,
        format=args.format,
        stream=not args.no_stream,
        output=args.output,
        params=_params(args),
    )


def _takes_value(word: str, takes_value: set[str], options: set[str]) -> bool:
    """Whether the next word is this option's value. argparse takes ``--temp`` for
    ``--temperature`` (a prefix of one option only): so does this, else the value would be
    read as the prompt and the option said to have none."""
    if word in takes_value:
        return True
    if not word.startswith("--") or "=" in word:
        return False
    matches = [option for option in options if option.startswith(word)]
    return len(matches) == 1 and matches[0] in takes_value


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word:
        return word
    try:
        parts = shlex.split(word)
    except ValueError:
        return word
    return parts[0] if len(parts) == 1 else word


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in ("temperature", "top_p", "top_k", "max_tokens", "seed", "stop"):
        value = getattr(args, name)
        if value is not None:
            params[name] = value
    for item in args.param:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise OptionError(f"--param takes NAME=VALUE, not {item!r}")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if name == "options":
            # Other parameters given alone (-p mirostat=2) go there too: merged, whatever
            # the order.
            if not isinstance(value, dict):
                raise OptionError(
                    f'--param options takes a JSON object ({{"NAME": VALUE}}), not {raw!r}'
                )
            params.setdefault("options", {}).update(value)
        elif name in PARAMS:
            params[name] = value
        else:
            params.setdefault("options", {})[name] = value
    return params
