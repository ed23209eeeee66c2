"""What an API key looks like and how it is kept: known by its prefix, stored as a digest.
Light on purpose: request authentication checks the prefix before any service is loaded."""

from __future__ import annotations

import hashlib

KEY_PREFIX = "cx-"


def looks_like_key(secret: str) -> bool:
    return secret.startswith(KEY_PREFIX)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
