"""``%chat``, ``%%chat`` and ``%chat_models``: the notebook's conversation with a model.

Every failure is one line on stderr (no traceback); the chat on the server keeps what was said.
An interrupt is one line too, raised so that it ends the cell as an interrupt does.
Options can be set for a whole profile in IPython's configuration (``c.ChatMagics.model``).
"""

from __future__ import annotations

import json
import re
import tokenize
import uuid
from collections import ChainMap
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from traitlets import Float, Int, Unicode

from ._client import Client
from ._display import THINKING, LiveOutput, code_of, error_line, json_of, models_bundle
from ._errors import ChatError, Interrupted
from ._held import interrupt_held
from ._interpolate import InterpolationError, interpolate
from ._last_error import last_error
from ._options import OptionError, Options, parse, usage
from ._session import MODEL_ENV, Session
from ._stream import CompletionStream
from ._types import CompletionResult, ReasoningDelta, TextDelta

FORMAT_SYSTEM = {
    "code": (
        "Answer with code only, in one fenced code block, in the notebook's language (Python "
        "unless said otherwise); put any explanation in comments."
    ),
    "json": "Answer with one JSON value only: no prose and no code fences.",
}
KEPT = "what was written is kept in the chat"
# How the server's "unknown model" message says to list models; %chat_models does it here.
_API_LISTING = "GET chat-ext/api/models"
_NOT_LISTED = "Not listed now:"
_LINE_MAGIC = re.compile(r"^([ \t]*)%chat(?:[ \t]+(.*?))?[ \t]*$")


def keep_question_marks(lines: list[str]) -> list[str]:
    """An input transform: ``%chat why?`` is a question, not IPython's ``thing?`` help.

    IPython reads a line ending in ``?`` as a request for help on what precedes it; this runs
    before that and turns ``%chat`` lines into the call IPython would have made. Only lines that
    start a statement are magics, as IPython has them: a ``%chat`` line inside a string stays.
    """
    if not any(_LINE_MAGIC.match(line.rstrip("\r\n")) for line in lines):
        return lines  # most cells: not tokenized
    out = list(lines)
    settled = 0
    while (row := _next_magic_line(out, settled)) is not None:
        match = _LINE_MAGIC.match(out[row].rstrip("\r\n"))
        assert match is not None
        indent, rest = match.group(1), match.group(2) or ""
        out[row] = f"{indent}get_ipython().run_line_magic('chat', {rest!r})\n"
        # Read again from here: the prompt as written may have opened a quote or a bracket
        # that hid the lines after it, which its call no longer does.
        settled = row + 1
    return out


def _next_magic_line(lines: list[str], start: int) -> int | None:
    """The first line from ``start`` on that starts a statement with ``%chat``."""
    from IPython.core.inputtransformer2 import make_tokens_by_line

    for tokens in make_tokens_by_line(lines):
        first = next((t for t in tokens if t.type not in (tokenize.INDENT, tokenize.DEDENT)), None)
        if first is None or first.string != "%":
            continue
        row = first.start[0] - 1
        if row >= start and _LINE_MAGIC.match(lines[row].rstrip("\r\n")):
            return row
    return None


@magics_class
class ChatMagics(Magics):
    """Ask a model from a notebook; see ``%chat -h``."""

    model = Unicode(
        "",
        help=f"Model for %chat when -m is not given (else ${MODEL_ENV}, then the chat's last "
        "model, then the first the server lists).",
    ).tag(config=True)
    update_interval = Float(
        0.1, help="Seconds between updates of a streaming answer's output."
    ).tag(config=True)
    value_budget = Int(
        4000, help="Characters each {expr} in a prompt may take before it is truncated."
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.session = Session()

    @no_var_expand
    @line_cell_magic
    def chat(self, line: str, cell: str | None = None) -> Any:
        """Ask a model; the answer streams into the output as Markdown.

        %chat [options] prompt
        %%chat [options]  (the prompt is the rest of the cell)

        Options: -m/--model ID, --chat ID|new|last, --system TEXT, -f/--format
        markdown|code|text|json, --no-stream, -o/--output (return the answer too: x = %chat -o
        ...), --temperature, --top-p, --top-k, --max-tokens, --seed, --stop, -p/--param
        NAME=VALUE. {expr} puts a Python value in the prompt,
        {In[3]} and {Out[3]} the notebook's history, {Err} the last error; {{ and }} are
        braces. One chat per notebook unless --chat says otherwise. See %chat -h.
        """
        try:
            options = parse(line, cell)
            if options is None:
                print(usage())
                return
            if not options.prompt:
                raise OptionError("no prompt: %chat <prompt>, or the prompt in a %%chat cell")
            # {In[n]} is a cell as it was typed: IPython's own In holds it with magics
            # already turned into Python (get_ipython().run_line_magic(...)).
            raw = getattr(self.shell.history_manager, "input_hist_raw", None)
            namespace = ChainMap({"In": raw}, self.shell.user_ns) if raw else self.shell.user_ns
            prompt = interpolate(
                options.prompt, namespace, self.value_budget, self.shell.user_ns_hidden
            )
            answer = self._ask(options, prompt)
            # Returned only when asked for: IPython shows what a magic returns, which would
            # repeat the answer under it.
            return answer if options.output else None
        except Interrupted:
            raise
        except KeyboardInterrupt:
            # Elsewhere than where an answer is stopped: reading the prompt's values, or a
            # second interrupt while the first one's answer was being stopped.
            raise _interrupted("%chat: interrupted.") from None
        except ChatError as error:
            error_line(f"%chat: {_in_notebook_terms(error)}")
        except InterpolationError as error:
            error_line(f"%chat: {error}")
        except OptionError as error:
            error_line(f"%chat: {error} (%chat -h lists the options)")

    @line_magic
    def chat_models(self, line: str = "") -> None:
        """List the models and presets %chat -m can use."""
        from IPython.display import display

        try:
            models = self.session.client.models()
        except KeyboardInterrupt:
            # Waiting for a slow connection's list: one line, not httpx's traceback.
            raise _interrupted("%chat_models: interrupted.") from None
        except ChatError as error:
            error_line(f"%chat_models: {error}")
            return
        display(models_bundle(models), raw=True)

    def _ask(self, options: Options, prompt: str) -> Any:
        """Ask, show the answer as it comes, and return it as its format reads it (None when
        it failed or was stopped)."""
        session = self.session
        client = session.client
        try:
            chat_id = session.chat_for(options.chat)
            model = session.model_for(options.model, self.model, chat_id)
        except KeyboardInterrupt:
            # Finding the chat or the model (a slow model list, say): nothing to stop.
            raise _interrupted("%chat: interrupted before the question was sent.") from None
        params = dict(options.params)
        if options.format == "json":
            params.setdefault("response_format", {"type": "json_object"})
        request = {
            "model": model,
            "chat_id": chat_id,
            # --system '' asks for no system prompt, not for the chat's or the model's.
            "system": options.system,
            # Added to the system prompt in use, so the chat's or the model's still holds.
            "system_suffix": FORMAT_SYSTEM.get(options.format),
            "params": params or None,
            # Its own name, to stop it by if Ctrl-C comes before the answer's id (_stop_asked).
            "request_id": uuid.uuid4().hex,
        }
        live = LiveOutput(options.format, self.update_interval)
        try:
            result, interrupted = self._stream(
                client, live, prompt, request, options.stream, options.model
            )
        except KeyboardInterrupt:
            result, interrupted = _stop_asked(client, request["request_id"]), True
        except ChatError:
            live.clear()
            raise
        if interrupted or result is None or result.status in ("error", "stopped"):
            if result is not None and result.content:
                live.show(result.content)
            else:
                live.clear()
            if result is None:
                raise _interrupted("%chat: interrupted before the answer started.")
            if interrupted:
                raise _interrupted(_interrupted_after(result))
            if result.status == "stopped":  # from the Chats panel, say
                error_line(f"%chat: the answer was stopped elsewhere; {KEPT}.")
            else:
                said = result.error or "the answer failed"
                # The client's own errors say where the answer is.
                kept = result.content and "in the chat" not in said
                error_line(f"%chat: {said}" + (f" ({KEPT})" if kept else ""))
            return None
        answer = self._finish(live, options.format, result, model)
        if result.finish_reason == "length" and result.content.strip():
            # Else an answer that ends mid-sentence reads as the model's whole say.
            error_line(f"%chat: the answer was cut short at its token limit; {KEPT}.")
        return answer

    def _stream(
        self,
        client: Client,
        live: LiveOutput,
        prompt: str,
        request: dict[str, Any],
        progress: bool,
        chosen: str | None,
    ) -> tuple[CompletionResult, bool]:
        """The answer, shown as it grows when ``progress``, and whether Ctrl-C stopped it.

        Even an answer shown only when complete is read as a stream: its start event gives the
        chat and the answer's id at once, which Ctrl-C needs to stop it on the server and the
        next cell needs to continue a chat the server has just made.
        """
        stream: CompletionStream | None = None
        try:
            with interrupt_held() as held:
                try:
                    stream = client.stream(prompt, **request)
                except ChatError:
                    if held.asked:  # refused, or the server went away: nothing to stop
                        raise KeyboardInterrupt from None
                    raise
            self.session.used(stream.chat_id or "", chosen)
            if held.asked:
                raise KeyboardInterrupt  # while the question was sent: now it has an id
            live.show(stream.text if progress else "")
            for event in stream:
                if progress and isinstance(event, TextDelta):
                    live.update(stream.text)
                elif progress and isinstance(event, ReasoningDelta) and not stream.text:
                    # A reasoning model's thoughts are not the answer; say it is thinking.
                    live.update(THINKING)
            return stream.result(), False
        except KeyboardInterrupt:
            if stream is None or stream.message_id is None:
                raise
            try:
                return stream.stop(), True
            except ChatError:  # it ended meanwhile
                return stream.result(), True
        except ChatError:
            if stream is None or stream.status != "error":
                raise
            return stream.result(), False  # shown with the error, as far as it got
        finally:
            if stream is not None:
                stream.close()

    def _finish(self, live: LiveOutput, format: str, result: CompletionResult, model: str) -> Any:
        """Show the whole answer in its format; return it as that format reads it."""
        text = result.content
        if not text.strip():
            # Shown as it is, an empty answer would look like one still awaited.
            note = f"{model} gave no answer"
            if result.finish_reason == "length":
                note += " (it reached its token limit)"
            if result.reasoning:
                note += "; its thoughts are in the chat"
            live.replace({"text/markdown": f"*{note}.*", "text/plain": f"{note}."})
            return text
        if format == "code":
            code = code_of(text)
            self.shell.set_next_input(code, replace=False)
            lines = len(code.splitlines())
            note = (
                f"{model} wrote {lines} line{'s' if lines != 1 else ''} of code: see the next cell."
            )
            live.replace({"text/markdown": f"*{note}*", "text/plain": note})
            return code
        if format == "json":
            live.show(text)
            try:
                value = json_of(text)
            except ValueError as error:
                error_line(f"%chat: the answer is not JSON ({error}).")
                return None
            live.replace({"application/json": value, "text/plain": json.dumps(value, indent=2)})
            return value
        live.show(text)
        return text


def _in_notebook_terms(error: ChatError) -> str:
    """The error's line, pointing at ``%chat_models`` or the panel where the server points at
    its API."""
    text = str(error)
    if error.code == "answer_in_progress":
        return (
            "an answer is still being written in this chat (from the Chats panel or another "
            "cell): wait for it to end, or stop it there, then run the cell again."
        )
    if error.code != "model_not_found":
        return text
    # The server's message goes on with every connection that lists no models now and why (a
    # local model's says how to download it): a paragraph, which %chat_models shows anyway.
    said, _, down = error.message.partition(_NOT_LISTED)
    said = said.split(_API_LISTING)[0].strip()
    listing = "%chat_models lists the models you can use"
    return f"{said} {listing}" + (", and says why a connection lists none now." if down else ".")


def _interrupted(message: str) -> Interrupted:
    return Interrupted(message, last_error())


def _interrupted_after(result: CompletionResult) -> str:
    """What Ctrl-C did, told by how the answer ended: one that ended before the stop reached
    the server is whole, or failed on its own."""
    if result.status == "done":
        return "%chat: interrupted after the answer had ended; the whole answer is in the chat."
    if result.status == "error":
        said = result.error or "the answer failed"
        kept = result.content and "in the chat" not in said
        return f"%chat: interrupted after the answer had failed: {said}" + (
            f" ({KEPT})" if kept else ""
        )
    return f"%chat: interrupted; the answer was stopped and {KEPT}."


def _stop_asked(client: Client, request_id: str) -> CompletionResult | None:
    """After Ctrl-C before the answer's id came back (a second one, which is not held while
    the question is sent): stop the answer this request asked for, and no other. One the
    server has not begun yet is stopped as it begins; then there is no result."""
    try:
        return client.stop_request(request_id)
    except ChatError:
        return None
