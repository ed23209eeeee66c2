"""Server-sent events read as the WHATWG standard reads them ("Interpreting an event stream"):
fields ``data``, ``event``, ``id`` and ``retry``, comments (``:``), one optional space after
the colon, lines ended by CRLF, LF or CR, an event ended by a blank line, several ``data``
lines joined by LF, and an event without data no event at all.

Every streamed token passes through here, so the shape nearly every server sends (one
``data: ...`` line, LF line ends) is read with a split and a slice; anything else takes the
general way, one line at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

_BOM = b"\xef\xbb\xbf"


def _lf(text: bytes) -> bytes:
    """Every line end made LF (a CRLF is one line end, not two)."""
    return text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def event(block: bytes) -> tuple[bytes, bytes] | None:
    """(type, data) of one event's lines (LF-ended, no blank line among them), or None when
    it has no data; the type is empty unless an ``event`` field names it."""
    data: list[bytes] = []
    kind = b""
    for line in block.split(b"\n"):
        if not line or line[0] == 0x3A:  # a blank line (leading ones) or a comment
            continue
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            data.append(value)
        elif name == b"event":
            kind = value
        # id and retry only matter to a client that reconnects; other names are ignored.
    if not data:
        return None
    return kind, data[0] if len(data) == 1 else b"\n".join(data)


def events(text: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of each event in ``text``, which ends where an event does."""
    for block in _lf(text).split(b"\n\n"):
        found = event(block)
        if found is not None:
            yield found


class EventReader:
    """A stream's events as its pieces arrive: ``feed`` gives the data of each event that a
    piece completes. An event the stream stops inside is never given, as the standard says."""

    __slots__ = ("_rest", "_skip")

    def __init__(self) -> None:
        self._rest = b""
        # What to drop from the start of the next piece: the byte order mark a stream may
        # open with, or the LF of a CRLF whose CR ended the last piece.
        self._skip = _BOM

    def feed(self, piece: bytes) -> list[bytes]:
        if skip := self._skip:
            if piece.startswith(skip):
                piece = piece[len(skip) :]
            elif skip.startswith(piece):  # a mark split across pieces
                self._skip = skip[len(piece) :]
                return []
            self._skip = b""
        text = self._rest + piece if self._rest else piece
        if text.find(b"\r") >= 0:  # quicker than ``in``, which tries the byte as a number first
            if text[-1:] == b"\r":
                self._skip = b"\n"
            text = _lf(text)
        # The usual piece: one whole event, one data line.
        if text[:6] == b"data: " and text.find(b"\n") == len(text) - 2 and text[-1:] == b"\n":
            self._rest = b""
            return [text[6:-2]]
        blocks = text.split(b"\n\n")
        self._rest = blocks.pop()
        out = []
        for block in blocks:
            if block[:6] == b"data: " and block.find(b"\n") < 0:
                out.append(block[6:])
            elif (found := event(block)) is not None:
                out.append(found[1])
        return out
