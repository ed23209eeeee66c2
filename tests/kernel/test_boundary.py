"""The kernel package stays light and separate: no server-side imports, few dependencies,
and result types that match the server's OpenAPI document."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import subprocess
import sys
import tomllib
import typing
from pathlib import Path

import jupyter_chat_kernel
import pytest
from jupyter_chat_kernel import (
    ChatDetail,
    ChatPage,
    ChatSummary,
    CompletionResult,
    MessageOut,
    ModelList,
    ModelOut,
    UserOut,
)
from jupyter_chat_kernel._calls import _completion
from jupyter_chat_kernel._options import PARAMS
from jupyter_chat_kernel._types import PresetInfo, Running, RunningList

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "kernel" / "jupyter_chat_kernel"
FORBIDDEN = ("jupyter_chat_ext", "jupyter_server", "tornado", "sqlalchemy", "pycrdt", "pydantic")
ALLOWED_DEPENDENCIES = {"httpx", "ipython", "anywidget"}


def run_python(code: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_CHAT_", "JUPYTERHUB_"))
    }
    env.update(extra)
    return env


def test_package_is_the_one_under_kernel():
    assert Path(jupyter_chat_kernel.__file__).resolve().parent == PACKAGE


def test_import_loads_no_server_side_module(tmp_path):
    code = f"""
import json, sys
import jupyter_chat_kernel
from jupyter_chat_kernel import AsyncClient, Client, discover
Client("http://127.0.0.1:9/", "t").close()
AsyncClient("http://127.0.0.1:9/", "t")
discover()
# The magics and the widget are imported only by those who use them.
lazy = sorted(m for m in sys.modules if m.split(".")[0] in ("IPython", "anywidget", "ipywidgets"))
from jupyter_chat_kernel import ChatWidget
import jupyter_chat_kernel._magics
forbidden = {FORBIDDEN!r}
print(json.dumps([lazy, sorted(m for m in sys.modules if m.split(".")[0] in forbidden)]))
"""
    out = run_python(code, child_env(JUPYTER_CHAT_URL="http://127.0.0.1:9/"), tmp_path)
    assert json.loads(out) == [[], []]


def test_works_where_server_packages_are_not_installed(server, tmp_path):
    """A full round trip in an interpreter where importing any server-side package fails."""
    code = f"""
import importlib.abc, sys
forbidden = {FORBIDDEN!r}

class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in forbidden:
            raise ModuleNotFoundError(f"No module named {{name!r}}")
        return None

sys.meta_path.insert(0, Missing())
from jupyter_chat_kernel import Client
with Client() as client:
    chat = client.create_chat("from a bare kernel", [("user", "hi")])
    assert client.chat(chat.id).messages[0].content == "hi"
    client.delete_chat(chat.id)
    print(client.me().role)
"""
    env = child_env(JUPYTER_CHAT_URL=server.url, JUPYTER_CHAT_TOKEN=server.token)
    assert run_python(code, env, tmp_path).strip() == "admin"


def test_no_source_file_imports_server_side_modules():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [
                f"{path.relative_to(REPO)}:{node.lineno} {name}"
                for name in names
                if name.split(".")[0] in FORBIDDEN
            ]
    assert offenders == []


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def test_dependencies_are_light():
    project = tomllib.loads((REPO / "kernel" / "pyproject.toml").read_text())["project"]
    assert project["name"] == "jupyter-chat-kernel"
    runtime = {requirement_name(r) for r in project.get("dependencies", [])}
    assert "httpx" in runtime
    assert runtime <= ALLOWED_DEPENDENCIES, runtime - ALLOWED_DEPENDENCIES
    for group, requirements in project.get("optional-dependencies", {}).items():
        if group in ("test", "dev", "docs"):
            continue
        names = {requirement_name(r) for r in requirements}
        assert names <= ALLOWED_DEPENDENCIES, (group, names - ALLOWED_DEPENDENCIES)


def test_public_names():
    assert sorted(jupyter_chat_kernel.__all__) == sorted(
        [
            "AsyncClient",
            "AsyncCompletionStream",
            "ChatDetail",
            "ChatError",
            "ChatPage",
            "ChatSummary",
            "ChatWidget",
            "Client",
            "CompletionDone",
            "CompletionResult",
            "CompletionStart",
            "CompletionStream",
            "Connection",
            "ConnectionNotFound",
            "MessageOut",
            "ModelList",
            "ModelOut",
            "ReasoningDelta",
            "TextDelta",
            "Usage",
            "UserOut",
            "__version__",
            "discover",
        ]
    )
    for name in jupyter_chat_kernel.__all__:
        assert hasattr(jupyter_chat_kernel, name)


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    from jupyter_chat_ext.routes import openapi_document

    return openapi_document()["components"]["schemas"]


def enum_values(prop: dict) -> set | None:
    """The values an enum property allows (through anyOf for nullable ones); None if not one."""
    for option in [prop, *prop.get("anyOf", [])]:
        if "enum" in option:
            nullable = any(o.get("type") == "null" for o in prop.get("anyOf", []))
            return set(option["enum"]) | ({None} if nullable else set())
    return None


def literal_values(hint: object) -> set:
    """The values a Literal type (or an optional one) allows."""
    if hint is type(None):
        return {None}
    if typing.get_origin(hint) is typing.Literal:
        return set(typing.get_args(hint))
    return set().union(*(literal_values(arg) for arg in typing.get_args(hint)))


@pytest.mark.parametrize(
    "cls",
    [
        UserOut,
        ChatSummary,
        ChatPage,
        MessageOut,
        ChatDetail,
        ModelOut,
        ModelList,
        PresetInfo,
        CompletionResult,
        Running,
        RunningList,
    ],
)
def test_types_match_the_openapi_document(schemas, cls):
    schema = schemas[cls.__name__]
    fields = {f.name for f in dataclasses.fields(cls)}
    assert fields == set(schema["properties"]), (
        f"{cls.__name__} drifted from the server: "
        f"missing {set(schema['properties']) - fields}, extra {fields - set(schema['properties'])}"
    )
    hints = typing.get_type_hints(cls)
    for name, prop in schema["properties"].items():
        allowed = enum_values(prop)
        if allowed is not None:
            assert literal_values(hints[name]) == allowed, name


def test_completion_requests_match_the_openapi_document(schemas):
    request = schemas["CompletionRequest"]["properties"]
    body = _completion(
        "hi",
        "m",
        "c",
        None,
        "p",
        "s",
        {"temperature": 0.5},
        {"source": "x"},
        {"system": "s"},
        "Code only.",
        "req-1",
    ).body
    assert set(body) <= set(request)
    assert set(body) == set(request) - {"regenerate"}
    regenerate = _completion(None, "m", "c", "a", None, None, None).body
    assert set(regenerate) == {"model", "chat_id", "regenerate", "parent_id", "stream"}
    assert set(PARAMS) == set(schemas["Params"]["properties"])
