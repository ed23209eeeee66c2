"""Connections named by configuration and by the usual environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .urls import check_url, trimmed


@dataclass(frozen=True, slots=True)
class Seed:
    kind: str
    base_url: str
    api_key: str
    origin: str  # "config" or "env"


def _split(value: str | None) -> list[str]:
    """The items of a ``;``-separated list in their places: an empty item keeps its place, so
    that the keys after it still pair with their URLs."""
    return [part.strip() for part in value.split(";")] if value and value.strip() else []


def valid(seeds: list[Seed]) -> tuple[list[Seed], list[Seed]]:
    """(usable, refused): a configured URL must be a valid http:// or https:// one."""
    good = [s for s in seeds if s.kind == "local" or check_url(s.base_url) is None]
    return good, [s for s in seeds if s not in good]


def _switched_off(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("false", "0", "no", "off")


def from_environment(env: Mapping[str, str] | None = None) -> list[Seed]:
    """OPENAI_API_BASE_URL(S) with OPENAI_API_KEY(S), and OLLAMA_BASE_URL(S); several values
    are separated by semicolons, keys paired with URLs by position (as Open WebUI reads them):
    a URL without a key in its place connects without one, and an empty item is skipped.
    ENABLE_OPENAI_API or ENABLE_OLLAMA_API set to false leaves that kind out, as there."""
    env = os.environ if env is None else env
    seeds = [] if _switched_off(env, "ENABLE_OPENAI_API") else _openai(env)
    if not _switched_off(env, "ENABLE_OLLAMA_API"):
        ollama = _split(env.get("OLLAMA_BASE_URLS")) or _split(env.get("OLLAMA_BASE_URL"))
        seeds += [Seed("ollama", trimmed(url), "", "env") for url in ollama if url]
    return seeds


def _openai(env: Mapping[str, str]) -> list[Seed]:
    urls = _split(env.get("OPENAI_API_BASE_URLS")) or _split(env.get("OPENAI_API_BASE_URL"))
    keys = _split(env.get("OPENAI_API_KEYS")) or _split(env.get("OPENAI_API_KEY"))
    if any(keys) and not any(urls):
        urls = ["https://api.openai.com/v1"]
    # A key goes to its own URL only: one key sent to every server would reach servers it
    # was never meant for.
    return [
        Seed("openai", trimmed(url), keys[i] if i < len(keys) else "", "env")
        for i, url in enumerate(urls)
        if url
    ]


def from_config(
    openai_urls: list[str],
    openai_keys: list[str],
    ollama_urls: list[str],
    local_model: str = "",
    local_embedding_model: str = "",
) -> list[Seed]:
    seeds = [
        Seed(
            "openai", trimmed(url), openai_keys[i].strip() if i < len(openai_keys) else "", "config"
        )
        for i, url in enumerate(openai_urls)
    ]
    seeds += [Seed("ollama", trimmed(url), "", "config") for url in ollama_urls]
    if local_model:
        seeds.append(Seed("local", local_model, "", "config"))
    if local_embedding_model:
        seeds.append(Seed("local", local_embedding_model, "", "config"))
    return seeds
