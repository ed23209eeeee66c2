from __future__ import annotations


class ChatError(Exception):
    """Something went wrong talking to the chat server.

    ``status`` is the HTTP status, or None when no answer came (server unreachable, timeout, no
    server found); ``code`` is the server's stable machine code (``not_found``, ``forbidden``...)
    or one of the client's own (``unreachable``, ``timeout``, ``bad_response``, ``no_server``).
    ``str()`` is one line, meant to be shown to a person as it is.
    """

    def __init__(self, status: int | None, code: str, message: str, reason: str = "") -> None:
        # Notebook output shows str(error) as is; a multi-line server message would break it up.
        message = " ".join(message.split())
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        if self.status is None:
            return self.message
        return f"{self.message} (HTTP {self.status}, {self.code})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.status, self.code, self.message, self.reason))


class Interrupted(KeyboardInterrupt):
    """A ``%chat`` the user interrupted, once its answer is stopped on the server.

    Raised, it ends the cell as any interrupt does (a loop of ``%chat`` stops, and so do the
    cells queued after it), and IPython shows it as its one line (``_render_traceback_``), not
    a traceback. ``previous`` is the exception before it, which ``{Err}`` goes on meaning.
    """

    def __init__(self, message: str, previous: BaseException | None) -> None:
        super().__init__(message)
        self.previous = previous

    def _render_traceback_(self) -> list[str]:
        return [str(self)]
