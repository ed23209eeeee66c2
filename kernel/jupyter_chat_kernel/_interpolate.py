"""``{expr}`` in a prompt: Python values from the user's namespace, each within a size budget.

Only simple expressions are replaced (a name, an attribute, an item, a call: ``{df}``,
``{df.columns}``, ``{In[3]}``, ``{len(rows)}``), and names the namespace does not have are left
as they are, so that braces in prose or code (``{a: 1}``, f-strings) pass through. ``{{`` and
``}}`` stand for literal braces, and nothing inside fenced code blocks is replaced. A bare name
is the user's own only: ``{id}`` or ``{input}`` is left as written unless the notebook defined
it (built-ins serve inside expressions, ``{len(rows)}``). ``{Err}`` is the last exception with
its traceback, as IPython showed it.
"""

from __future__ import annotations

import ast
import re
import reprlib
from collections.abc import Collection, Mapping
from typing import Any

from ._last_error import as_shown, last_error

TRUNCATED = "… [truncated: {} more characters]"
ERR = "Err"

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})", re.MULTILINE)
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}\n]+)\}")
_SIMPLE = (ast.Name, ast.Attribute, ast.Subscript, ast.Call)


class InterpolationError(Exception):
    """An expression in the prompt failed; the message is one line naming it."""


def truncate(text: str, budget: int, *, keep_end: bool = False) -> str:
    """``text`` cut to about ``budget`` characters, with a marker saying how much was cut."""
    if len(text) <= budget:
        return text
    cut = len(text) - budget
    marker = TRUNCATED.format(f"{cut:,}")
    if keep_end:
        return marker + "\n" + text[-budget:]
    return text[:budget] + marker


def interpolate(
    prompt: str, namespace: Mapping[str, Any], budget: int, hidden: Collection[str] = ()
) -> str:
    """The prompt with its ``{expr}`` fields replaced (see the module docstring). ``hidden``
    are names the namespace holds that the user did not make (IPython's ``In``, ``exit``)."""
    pieces = []
    for index, part in enumerate(_split_fences(prompt)):
        pieces.append(part if index % 2 else _fill(part, namespace, budget, hidden))
    return "".join(pieces)


def _split_fences(text: str) -> list[str]:
    """Alternating prose and fenced code, prose first; an unclosed fence runs to the end."""
    parts, position, fence = [], 0, ""
    for match in _FENCE.finditer(text):
        if not fence:
            parts.append(text[position : match.start()])
            position, fence = match.start(), match.group(1)
        elif match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            # Closed, as Markdown closes it, by a fence of its kind at least as long.
            end = text.find("\n", match.end())
            end = len(text) if end < 0 else end
            parts.append(text[position:end])
            position, fence = end, ""
    parts.append(text[position:])
    return parts


def _fill(text: str, namespace: Mapping[str, Any], budget: int, hidden: Collection[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        whole, source = match.group(0), match.group(1)
        if whole in ("{{", "}}"):
            return whole[0]
        return _field(source.strip(), namespace, budget, whole, hidden)

    return _FIELD.sub(replace, text)


def _field(
    source: str, namespace: Mapping[str, Any], budget: int, whole: str, hidden: Collection[str]
) -> str:
    if source == ERR and ERR not in namespace:
        return _last_error(budget)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return whole
    if not isinstance(tree.body, _SIMPLE):
        return whole
    if isinstance(tree.body, ast.Name) and (source not in namespace or source in hidden):
        # A bare word the user did not define ({id}, {input}, {type} in prose or a route):
        # Python's built-ins serve only inside expressions, such as {len(rows)}.
        return whole
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    builtins = namespace.get("__builtins__", __builtins__)
    builtin_names = set(vars(builtins) if not isinstance(builtins, dict) else builtins)
    if not names <= set(namespace) | builtin_names:
        return whole  # not meant for us: a name the notebook does not have
    try:
        scope = namespace if isinstance(namespace, dict) else dict(namespace)
        value = eval(compile(tree, "<chat prompt>", "eval"), scope)
    except Exception as error:
        raise InterpolationError(
            f"{{{source}}} in the prompt failed: {type(error).__name__}: {error}"
        ) from None
    try:
        if _is_history_input(tree):
            return _block(truncate(str(value), budget), "python")
        return describe(value, budget)
    except Exception as error:
        # A broken __repr__ of the user's own class must not end the magic in a traceback.
        raise InterpolationError(
            f"{{{source}}} in the prompt cannot be shown: {type(error).__name__}: {error}"
        ) from None


def _is_history_input(tree: ast.Expression) -> bool:
    body = tree.body
    return (
        isinstance(body, ast.Subscript)
        and isinstance(body.value, ast.Name)
        and body.value.id == "In"
    )


def _block(text: str, language: str = "") -> str:
    text = text.rstrip("\n")
    fence = "````" if "```" in text else "```"
    return f"\n{fence}{language}\n{text}\n{fence}\n"


def describe(value: Any, budget: int) -> str:
    """A value as a model should see it: short ones inline, others as a block."""
    if isinstance(value, str):
        text = truncate(value, budget)
        return text if "\n" not in text else _block(text)
    text = truncate(_summary(value, budget), budget)
    return text if "\n" not in text else _block(text)


def _summary(value: Any, budget: int) -> str:
    module = type(value).__module__.split(".")[0]
    name = type(value).__name__
    if module == "pandas" and name == "DataFrame":
        rows, columns = value.shape
        dtypes = value.dtypes.to_string()
        head = value.head().to_string()
        return (
            f"pandas DataFrame, shape ({rows}, {columns})\n\ndtypes:\n{dtypes}\n\nhead():\n{head}"
        )
    if module == "pandas" and name == "Series":
        return (
            f"pandas Series {value.name!r}, length {len(value)}, dtype {value.dtype}\n\n"
            f"head():\n{value.head().to_string()}"
        )
    if module == "numpy" and name == "ndarray":
        return f"numpy array, shape {value.shape}, dtype {value.dtype}\n{value!r}"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        short = reprlib.Repr()
        short.maxlist = short.maxtuple = short.maxset = short.maxfrozenset = 200
        short.maxdict = 100
        short.maxstring = short.maxother = max(40, budget // 4)
        short.maxlevel = 4
        return short.repr(value)
    return repr(value)


def _last_error(budget: int) -> str:
    error = last_error()
    if error is None:
        raise InterpolationError(
            "{Err} in the prompt: no cell has raised an exception in this kernel yet."
        )
    return _block(truncate(as_shown(error), budget, keep_end=True))
