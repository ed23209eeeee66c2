"""Connection URLs as people may see them: a ``user:password@`` in a URL is a credential (the
transport sends it as Basic auth), so it never leaves the server in full. A user alone
(``token@``, sent with an empty password) is the credential itself."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

MASK = "****"

# An upstream as users who may not learn where it is are told of it (see ``where``).
SERVER = "model server"


def trimmed(url: str) -> str:
    """A base URL as given, without the spaces and final slashes around it."""
    return url.strip().rstrip("/")


def check_url(url: str) -> str | None:
    """What is wrong with a server's base URL, or None: http(s), a host, a port that can be,
    nothing a request line cannot carry, and nothing after the path."""
    if not url.startswith(("http://", "https://")):
        return "must be an http:// or https:// URL"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "must not hold spaces or control characters"
    if "?" in url or "#" in url:
        # The API's paths go after the base URL: "/v1?key=..." + "/models" reaches no API
        # (and a key in a query would be shown wherever the URL is).
        return "must not have a query (?) or a fragment (#): the API's paths are added after it"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError as error:
        return f"is not a valid URL ({error})"
    if not parts.hostname:
        return "must name a host"
    return None


def where(url: str) -> str:
    """Scheme, host and port: never the path, query or any user:password in the URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the upstream"
    if not host:
        return "the upstream"
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}"


def host_label(url: str) -> str:
    """Host and port alone, for a connection's default name."""
    shown = where(url)
    return shown.partition("://")[2] or shown


def redact(url: str) -> str:
    """The URL with its password replaced by a mask, or its user when it has no password;
    and its query and fragment, which may carry a key (``?key=...``), masked too."""
    if "://" not in url:
        # Not a URL (a refused setting, say): keep nothing that may precede an "@".
        _, at, tail = url.rpartition("@")
        return f"{MASK}@{tail}" if at else url
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return where(url)
    if user is None and password is None and not parts.query and not parts.fragment:
        return url
    netloc = parts.netloc
    if user is not None or password is not None:
        userinfo, _, host = netloc.rpartition("@")
        shown = f"{userinfo.partition(':')[0]}:{MASK}" if password is not None else MASK
        netloc = f"{shown}@{host}"
    return urlunsplit(
        parts._replace(
            netloc=netloc,
            query=MASK if parts.query else "",
            fragment=MASK if parts.fragment else "",
        )
    )


def credential(url: str) -> str | None:
    """The secret a URL carries: its password, or its user when it has none."""
    try:
        parts = urlsplit(url)
        return parts.password if parts.password is not None else parts.username
    except ValueError:
        return None


def origin(url: str) -> str:
    """Where requests go: what a stored key would be sent to."""
    return where(url).lower()


def restore(sent: str, stored: str) -> str | None:
    """A URL sent back as shown (its credential masked) means the stored one; None when the
    mask stands for a credential that cannot be recovered (the rest of the URL changed)."""
    if credential(sent) != MASK:
        return sent
    return stored if redact(stored) == sent else None
