"""Connection URLs as people may see them: a ``user:password@`` in a URL is a credential (the
transport sends it as Basic auth), so it never leaves the server in full."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

MASK = "****"


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
    """The URL with its password, if any, replaced by a mask."""
    if "://" not in url:
        # Not a URL (a refused setting, say): keep nothing that may precede an "@".
        _, at, tail = url.rpartition("@")
        return f"{MASK}@{tail}" if at else url
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return where(url)
    if password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


def password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def origin(url: str) -> str:
    """Where requests go: what a stored key would be sent to."""
    return where(url).lower()


def restore(sent: str, stored: str) -> str | None:
    """A URL sent back as shown (its password masked) means the stored one; None when the
    mask stands for a password that cannot be recovered (the rest of the URL changed)."""
    try:
        masked = urlsplit(sent).password == MASK
    except ValueError:
        return sent
    if not masked:
        return sent
    return stored if redact(stored) == sent else None
