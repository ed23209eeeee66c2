"""Streams relayed in whole frames (OpenAI's events, Ollama's lines), checked as they go."""

from __future__ import annotations

import json

import pytest

from jupyter_chat_ext.providers import sse
from jupyter_chat_ext.providers.base import UpstreamError
from jupyter_chat_ext.proxy.passthrough import NDJSON, SSE, Frames, Renamer, Wire
from jupyter_chat_ext.testing.upstream.openai_payloads import Spread


def event(content: str, finish: str | None = None, end: bytes = b"\n") -> bytes:
    choice = {"index": 0, "delta": {"content": content}, "finish_reason": finish}
    body = json.dumps({"model": "up", "choices": [choice]}).encode()
    return b"data: " + body + end + end


def relay(
    stream: bytes, size: int, rename: Renamer | None = None, wire: Wire = SSE
) -> tuple[bytes, Frames]:
    events = Frames(wire, rename)
    out = b"".join(events.feed(stream[i : i + size]) for i in range(0, len(stream), size))
    return out, events


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
@pytest.mark.parametrize("size", [1, 7, 10_000])
def test_whole_events_come_out_whatever_the_pieces(end, size):
    stream = event("Hel", end=end) + event("lo", end=end) + b"data: [DONE]" + end + end
    out, events = relay(stream, size)
    assert out + events.close() == stream


def test_the_name_asked_for_is_put_back():
    stream = event("Hi") + b"data: [DONE]\n\n"
    out, _ = relay(stream, 5, Renamer("up", "team/up"))
    assert out == stream.replace(b'"model": "up"', b'"model": "team/up"')


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "raw UTF-8"])
def test_a_name_with_other_than_ascii_is_put_back_as_the_upstream_wrote_it(ensure_ascii):
    body = {"model": "modèle-ü", "choices": [{"index": 0, "delta": {"content": "Hi"}}]}
    stream = b"data: " + json.dumps(body, ensure_ascii=ensure_ascii).encode() + b"\n\n"
    out, _ = relay(stream + b"data: [DONE]\n\n", 3, Renamer("modèle-ü", "équipe/modèle-ü"))
    assert json.loads(out.split(b"\n\n")[0][6:])["model"] == "équipe/modèle-ü"


def test_a_finish_reason_ends_a_stream_without_the_end_marker():
    stream = event("Hi") + event("", finish="stop")
    out, events = relay(stream, 3)
    assert out == stream
    events.close()  # no error: the answer said it was done


@pytest.mark.parametrize(
    "rest",
    [b"", b'data: {"model": "up", "choi', event("more")[:-1]],
    ids=["no end", "cut in an event", "cut before the blank line"],
)
def test_a_stream_that_stops_early_is_cut(rest):
    out, events = relay(event("Hi") + rest, 4)
    assert out == event("Hi")
    with pytest.raises(UpstreamError) as error:
        events.close()
    assert error.value.kind == "cut"


@pytest.mark.parametrize("size", [1, 7, 10_000])
def test_events_of_any_shape_the_standard_allows_come_out_in_the_usual_one(size):
    """Several data lines, CR or CRLF line ends, comments, fields, events without data: each
    event leaves as one data line of its JSON, the model's name put back."""
    spread = Spread()
    chunks = [event("Hel"), event("lo"), event("", finish="stop"), b"data: [DONE]\n\n"]
    stream = b"".join(spread(chunk[6:-2]) for chunk in chunks)
    out, frames = relay(stream, size, Renamer("up", "team/up"))
    out += frames.close()
    assert frames.broken is None
    renamed = [chunk.replace(b'"model": "up"', b'"model": "team/up"') for chunk in chunks]
    # Each event's data in one line, whole, as every client reads it.
    lines = [line for line in out.replace(b"\r", b"\n").split(b"\n") if line.startswith(b"data")]
    assert [data for _, data in sse.events(out)] == [line[6:] for line in lines]
    *documents, done = lines
    assert [json.loads(d[6:]) for d in documents] == [json.loads(c[6:-2]) for c in renamed[:-1]]
    assert done == b"data: [DONE]"


def test_an_event_of_data_lines_that_are_not_json_breaks_the_stream_after_what_came():
    odd = b'data: {"model":\ndata: "up"}\n\ndata: {"a": 1}\ndata: {"b": 2}\n\n'
    out, frames = relay(event("Hi") + odd + event("never"), 10_000)
    assert out == event("Hi") + b'data: {"model":"up"}\n\n'
    assert frames.broken is not None and frames.broken.kind == "malformed"


@pytest.mark.parametrize("odd", [b"data: {not json, <html>", b"data: <html>", b"data: {}x"])
def test_an_event_that_is_not_json_breaks_the_stream_after_what_came(odd):
    out, events = relay(event("Hi") + b": a comment\n" + odd + b"\n\n" + event("never"), 10_000)
    assert out == event("Hi")
    assert events.broken is not None and events.broken.kind == "malformed"


def line(content: str, done: bool = False) -> bytes:
    message = {"role": "assistant", "content": content}
    return json.dumps({"model": "up", "message": message, "done": done}).encode() + b"\n"


@pytest.mark.parametrize("size", [1, 9, 10_000])
def test_ollama_lines_come_out_whole_and_done_ends_them(size):
    stream = line("Hel") + line("lo") + line("", done=True)
    out, lines = relay(stream, size, wire=NDJSON)
    assert out == stream
    lines.close()


@pytest.mark.parametrize("rest", [b"", b'{"model": "up", "mess'], ids=["no done", "cut"])
def test_an_ollama_stream_that_stops_early_is_cut(rest):
    out, lines = relay(line("Hel") + rest, 4, wire=NDJSON)
    assert out == line("Hel")
    with pytest.raises(UpstreamError) as error:
        lines.close()
    assert error.value.kind == "cut"


def test_an_ollama_line_that_is_not_json_breaks_the_stream_after_what_came():
    out, lines = relay(line("Hel") + b"<html>\n" + line("lo"), 10_000, wire=NDJSON)
    assert out == line("Hel")
    assert lines.broken is not None and lines.broken.kind == "malformed"
