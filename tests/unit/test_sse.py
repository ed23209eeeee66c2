"""Server-sent events read as the WHATWG standard reads them, whatever pieces they come in."""

from __future__ import annotations

import pytest

from jupyter_chat_ext.providers.sse import EventReader, events


def read(stream: bytes, size: int) -> list[bytes]:
    reader = EventReader()
    return [data for i in range(0, len(stream), size) for data in reader.feed(stream[i : i + size])]


SIZES = [1, 2, 3, 10_000]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_data_lines_are_joined_with_lf_whatever_ends_the_lines(size, end):
    stream = end.join([b'data: {"a":', b"data:  1}", b"", b"data: [DONE]", b"", b""])
    assert read(stream, size) == [b'{"a":\n 1}', b"[DONE]"]


@pytest.mark.parametrize("size", SIZES)
def test_comments_ids_retries_names_and_other_fields_are_no_data(size):
    stream = (
        b": a comment\nid: 7\nretry: 1000\nevent: delta\nfoo: bar\nDATA: no\ndata:x\n\n"
        b"id: 8\n: only these\n\n"  # an event without data is no event
        b"data\n\n"  # a field without a colon: its value is empty
    )
    assert read(stream, size) == [b"x", b""]
    assert list(events(stream)) == [(b"delta", b"x"), (b"", b"")]


@pytest.mark.parametrize("size", SIZES)
def test_only_one_space_after_the_colon_is_dropped(size):
    assert read(b"data:no space\n\ndata:  two\n\ndata:\n\n", size) == [b"no space", b" two", b""]


@pytest.mark.parametrize("size", SIZES)
def test_empty_data_lines_are_lines_of_the_data(size):
    stream = b"data:\ndata: {}\ndata:\ndata:\n\n"
    assert read(stream, size) == [b"\n{}\n\n"]


@pytest.mark.parametrize("size", SIZES)
def test_mixed_line_ends_and_extra_blank_lines(size):
    # CR then LF is one line end; CR, CR is two, so a blank line.
    stream = b"\r\n\ndata: a\r\rdata: b\r\n\r\n\n\ndata: c\n\r\ndata: d\r\r\n"
    assert read(stream, size) == [b"a", b"b", b"c", b"d"]


@pytest.mark.parametrize("size", SIZES)
def test_a_byte_order_mark_opens_the_stream_and_nothing_else(size):
    bom = b"\xef\xbb\xbf"
    assert read(bom + b"data: a\n\n" + bom + b"data: b\n\ndata: c\n\n", size) == [b"a", b"c"]


def test_an_event_the_stream_stops_inside_is_not_given():
    assert read(b"data: a\n\ndata: b\n", 10_000) == [b"a"]
    assert read(b"data: a\n\ndata: b", 10_000) == [b"a"]
