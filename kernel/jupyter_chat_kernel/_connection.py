"""Finding the Jupyter server that runs this kernel, and the credentials to call it.

Sources, first match wins:

1. ``JUPYTER_CHAT_URL`` (and ``JUPYTER_CHAT_TOKEN``), set by the user;
2. JupyterHub's single-user environment (``JUPYTERHUB_SERVICE_PREFIX``, ``JUPYTERHUB_API_TOKEN``
   and ``JUPYTERHUB_SERVICE_URL``), which kernels inherit from their server;
3. the ``jpserver-<pid>.json`` files that running Jupyter servers write to the runtime directory.

``JUPYTER_CHAT_TOKEN`` set on its own replaces the token of whichever source gave the URL.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ._errors import ChatError

ENV_URL = "JUPYTER_CHAT_URL"
ENV_TOKEN = "JUPYTER_CHAT_TOKEN"
HUB_PREFIX = "JUPYTERHUB_SERVICE_PREFIX"
HUB_TOKEN = "JUPYTERHUB_API_TOKEN"
HUB_URL = "JUPYTERHUB_SERVICE_URL"
RUNTIME_DIR = "JUPYTER_RUNTIME_DIR"
# Every variable that discover() reads.
DISCOVERY_VARS = (ENV_URL, ENV_TOKEN, HUB_PREFIX, HUB_TOKEN, HUB_URL, RUNTIME_DIR)

API_PATH = "chat-ext/api/"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::"}
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# The first path segment of the pages that JupyterLab, Notebook, Jupyter Server and Voilà
# serve: in a URL copied from the browser or the terminal, the base URL is what comes before.
_PAGES = frozenset(
    {
        "lab",
        "tree",
        "notebooks",
        "edit",
        "consoles",
        "terminals",
        "doc",
        "files",
        "view",
        "voila",
        "nbclassic",
        "login",
        "logout",
    }
)


class ConnectionNotFound(ChatError):
    """No Jupyter server could be found; the message says which variables to set."""

    def __init__(self, message: str) -> None:
        super().__init__(None, "no_server", message)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.message,))


@dataclass(frozen=True)
class Connection:
    """Where the Jupyter server is and how to authenticate to it.

    ``url`` is the server's base URL (with its base path, ending in ``/``); ``source`` says, for
    people, where it was found. ``sock`` is a Unix socket path when the server listens on one,
    in which case ``url`` only supplies the path.
    """

    url: str
    token: str = field(repr=False)
    source: str
    sock: str | None = None

    @property
    def is_local(self) -> bool:
        """True when the server is on this machine (loopback address or Unix socket)."""
        if self.sock:
            return True
        host = urlsplit(self.url).hostname or ""
        return host in _LOOPBACK_HOSTS or host.startswith("127.")


def from_url(url: str, token: str = "", source: str = "arguments") -> Connection:
    """A Connection to an explicit URL, normalised: the URL of a page of the server (as
    copied from the browser or the terminal) gives its base URL, and its ``token`` query
    parameter is used when no token is given."""
    base, url_token = _split_url(url, what="url")
    return Connection(url=base, token=token or url_token, source=source)


def discover(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    runtime_dir: str | os.PathLike[str] | None = None,
) -> Connection:
    """Find the Jupyter server to talk to (see the module docstring for the order).

    Raises ConnectionNotFound, whose message names the variables to set, when there is none.
    """
    env = os.environ if environ is None else environ
    looked: list[str] = []
    found = (
        _from_env(env, looked)
        or _from_hub(env, looked)
        or _from_runtime_files(env, looked, cwd=cwd, runtime_dir=runtime_dir)
    )
    if found is None:
        raise ConnectionNotFound(
            "No Jupyter server found for jupyter-chat-kernel. Set the environment variables "
            f"{ENV_URL} (the server's base URL, for example http://127.0.0.1:8888/) and "
            f"{ENV_TOKEN} (its token), or pass url= and token= to the client. "
            f"Looked at: {'; '.join(looked)}."
        )
    token = env.get(ENV_TOKEN, "")
    if token and found.source != ENV_URL:
        found = replace(found, token=token, source=f"{found.source}, token from {ENV_TOKEN}")
    return found


def _from_env(env: Mapping[str, str], looked: list[str]) -> Connection | None:
    raw = env.get(ENV_URL, "").strip()
    if not raw:
        looked.append(f"{ENV_URL} (not set)")
        return None
    base, url_token = _split_url(raw, what=ENV_URL)
    return Connection(url=base, token=env.get(ENV_TOKEN, "") or url_token, source=ENV_URL)


def _from_hub(env: Mapping[str, str], looked: list[str]) -> Connection | None:
    prefix = env.get(HUB_PREFIX, "").strip()
    token = env.get(HUB_TOKEN, "").strip()
    if not prefix:
        looked.append(f"JupyterHub's {HUB_PREFIX} (not set)")
        return None
    if not token:
        looked.append(f"JupyterHub's {HUB_PREFIX} (set, but {HUB_TOKEN} is not)")
        return None
    path = _slashed(prefix)
    service_url = env.get(HUB_URL, "").strip()
    scheme, host, port = "http", "127.0.0.1", 8888
    source = f"JupyterHub ({HUB_PREFIX})"
    if service_url:
        # This is the address the single-user server binds to, often a wildcard one; the
        # kernel runs beside the server, so a wildcard means "this machine".
        parts = urlsplit(service_url)
        scheme = parts.scheme or scheme
        host = _connectable_host(parts.hostname or "")
        try:
            port = parts.port or port
        except ValueError:
            looked.append(f"JupyterHub's {HUB_URL} (not a valid URL)")
            return None
        source = f"JupyterHub ({HUB_URL})"
    return Connection(url=f"{scheme}://{host}:{port}{path}", token=token, source=source)


def _from_runtime_files(
    env: Mapping[str, str],
    looked: list[str],
    *,
    cwd: str | os.PathLike[str] | None,
    runtime_dir: str | os.PathLike[str] | None,
) -> Connection | None:
    folder = Path(runtime_dir) if runtime_dir is not None else _runtime_dir(env)
    servers = []
    files = sorted(folder.glob("jpserver-*.json")) if folder.is_dir() else []
    for path in files:
        info = _read_server_file(path)
        if info is not None and _pid_alive(info["pid"]):
            servers.append((path, info))
    if not servers:
        what = f"{len(files)} found, none for a running server" if files else "none"
        looked.append(f"running servers' jpserver-*.json files in {folder} ({what})")
        return None
    here = Path(cwd if cwd is not None else os.getcwd()).resolve()
    parent = os.getppid()

    def rank(item: tuple[Path, dict[str, Any]]) -> tuple[bool, int, float]:
        path, info = item
        root = Path(info["root_dir"]).resolve() if info["root_dir"] else None
        inside = root is not None and (root == here or root in here.parents)
        # The kernel's own server is its parent process when it was started directly; else the
        # server serving the kernel's folder, the most specific one first; then the newest.
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = 0.0
        depth = len(root.parts) if inside and root is not None else -1
        return (info["pid"] == parent, depth, mtime)

    path, info = max(servers, key=rank)
    source = f"runtime file {path}"
    base_url = _slashed(info["base_url"])
    if info["sock"]:
        return Connection(
            url=f"http://localhost{base_url}", token=info["token"], source=source, sock=info["sock"]
        )
    scheme = "https" if info["secure"] else "http"
    host = _connectable_host(info["hostname"])
    return Connection(
        url=f"{scheme}://{host}:{info['port']}{base_url}", token=info["token"], source=source
    )


def _read_server_file(path: Path) -> dict[str, Any] | None:
    """The fields we use from a server's runtime file, or None if it is not one we can use."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid, port = data.get("pid"), data.get("port")
    if not isinstance(pid, int) or not (isinstance(port, int) or data.get("sock")):
        return None
    return {
        "pid": pid,
        "port": port,
        "sock": str(data.get("sock") or ""),
        "hostname": str(data.get("hostname") or "localhost"),
        "base_url": str(data.get("base_url") or "/"),
        "secure": bool(data.get("secure")),
        "token": str(data.get("token") or ""),
        "root_dir": str(data.get("root_dir") or ""),
    }


def _runtime_dir(env: Mapping[str, str]) -> Path:
    if env.get(RUNTIME_DIR):
        return Path(env[RUNTIME_DIR])
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        pass
    else:
        return Path(jupyter_runtime_dir())
    if env.get("JUPYTER_DATA_DIR"):
        return Path(env["JUPYTER_DATA_DIR"]) / "runtime"
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Jupyter" / "runtime"
    if os.name == "nt":
        return Path(env.get("APPDATA") or home) / "jupyter" / "runtime"
    data_home = env.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(data_home) / "jupyter" / "runtime"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":
        # os.kill on Windows terminates the process whatever the signal; servers remove their
        # file when they stop cleanly, so trust it.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _connectable_host(host: str) -> str:
    if host in _WILDCARD_HOSTS:
        # An IPv6 wildcard socket does not accept IPv4 connections (tornado sets V6ONLY).
        return "[::1]" if host == "::" else "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _slashed(path: str) -> str:
    """A URL path with exactly one slash at each end."""
    inner = path.strip("/")
    return f"/{inner}/" if inner else "/"


def _split_url(raw: str, *, what: str) -> tuple[str, str]:
    """(base URL ending in '/', token from its query string or '')."""
    parts = urlsplit(raw.strip())
    # Echo only scheme, host and path back: the query may hold a token.
    shown = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConnectionNotFound(
            f"{what}={shown!r} is not an http:// or https:// URL; set it to the Jupyter "
            "server's base URL, for example http://127.0.0.1:8888/."
        )
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConnectionNotFound(f"{what}={shown!r} has an invalid port.") from None
    token = (parse_qs(parts.query).get("token") or [""])[0]
    return urlunsplit((parts.scheme, parts.netloc, _base_path(parts.path), "", "")), token


def _base_path(path: str) -> str:
    """The server's base path in the path of one of its pages (``/user/ada/lab/tree/x.ipynb``
    gives ``/user/ada/``) or of the chat API (``/chat-ext/api/chats``)."""
    segments = [s for s in path.split("/") if s]
    # A JupyterHub user (/user/<name>/) may be called "lab" or "tree" too.
    first = segments.index("user") + 2 if "user" in segments else 0
    for index in range(first, len(segments)):
        api = segments[index : index + 2] == API_PATH.strip("/").split("/")
        if api or segments[index] in _PAGES:
            segments = segments[:index]
            break
    return _slashed("/".join(segments))
