"""``{Err}``: the last exception of the kernel as IPython showed it to the user, with the frames
of the user's code and not IPython's own (the one that runs each cell, the ones that compile
it), and without colours.
"""

from __future__ import annotations

import builtins
import re
import sys
import traceback
from types import TracebackType
from typing import Any

from ._errors import Interrupted

# IPython's colours (SGR) and file links (OSC 8) in a traceback.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
# What IPython's frame that runs a cell says of itself: frames above it are IPython's.
_BOTTOM = "__ipython_bottom__"
_GROUPS = getattr(builtins, "BaseExceptionGroup", ())


def last_error() -> BaseException | None:
    error = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    # An interrupted %chat is not the user's error: {Err} means the one before it.
    while isinstance(error, Interrupted):
        error = error.previous
    return error


def as_shown(error: BaseException) -> str:
    """The error's traceback as the notebook showed it, else Python's below IPython's frames."""
    text = _by_ipython(error)
    if text is None:
        tb = _below_ipython(error.__traceback__)
        text = "".join(traceback.format_exception(type(error), error, tb))
    return text.strip("\n")


def _by_ipython(error: BaseException) -> str | None:
    """As IPython's ``showtraceback`` formats it, with the shell's own formatters (so in the
    user's ``%xmode``), or None outside IPython or where IPython falls back to Python's."""
    try:
        from IPython import get_ipython
        from IPython.core.error import UsageError
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or isinstance(error, _GROUPS):
        return None
    if isinstance(error, UsageError):
        return f"UsageError: {error}"
    etype, tb = type(error), error.__traceback__
    formatter = shell.SyntaxTB if isinstance(error, SyntaxError) else shell.InteractiveTB
    # The formatters remember what they formatted last, for %debug and %edit.
    remembered = {
        name: getattr(formatter, name)
        for name in ("tb", "last_syntax_error")
        if hasattr(formatter, name)
    }
    try:
        stb: Any
        if isinstance(error, SyntaxError):
            # A cell that does not compile has no frames to show; one raised while a cell ran
            # (an eval, an import) has the cell's and those below (IPython shows its own too).
            bottom = _bottom(tb)
            frames = traceback.extract_tb(bottom.tb_next) if bottom is not None else []
            stb = formatter.structured_traceback(etype, error, frames)
        elif hasattr(error, "_render_traceback_"):
            stb = error._render_traceback_()
        else:
            # Its tb_offset drops the first frame, IPython's that ran the cell.
            stb = formatter.structured_traceback(etype, error, tb)
        # Joined as notebooks join the traceback of an error output.
        return _ESCAPES.sub("", "\n".join(stb))
    except Exception:
        return None
    finally:
        for name, value in remembered.items():
            setattr(formatter, name, value)


def _bottom(tb: TracebackType | None) -> TracebackType | None:
    while tb is not None:
        if tb.tb_frame.f_locals.get("__tracebackhide__") == _BOTTOM:
            return tb
        tb = tb.tb_next
    return None


def _below_ipython(tb: TracebackType | None) -> TracebackType | None:
    bottom = _bottom(tb)
    return tb if bottom is None else bottom.tb_next
