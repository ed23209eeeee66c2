"""A chat's own settings: the system prompt and parameters every answer in it is asked with.

They sit in the chat's ``meta["settings"]``, so export, import and clone carry them. An answer
takes, from lowest to highest: the preset's defaults, the chat's settings, the request's own.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import Field, ValidationError

from ..core.schemas import StrictModel
from ..models.schemas import Params

log = logging.getLogger(__name__)
KEY = "settings"


class ChatSettings(StrictModel):
    """A chat's system prompt (in place of its model's or preset's; ``""`` for none) and
    parameters."""

    system: str | None = Field(
        default=None,
        max_length=100_000,
        description="In place of the preset's: \"\" for no system prompt, null for the preset's",
    )
    params: Params = Field(default_factory=Params)

    @property
    def empty(self) -> bool:
        # "" is a choice (no system prompt, not even the preset's), not the absence of one.
        return self.system is None and not self.params.upstream()

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def with_settings(meta: dict[str, Any] | None, settings: ChatSettings | None) -> dict[str, Any]:
    """A chat's meta with ``settings`` in place (or taken out, when None or empty)."""
    meta = {k: v for k, v in (meta or {}).items() if k != KEY}
    if settings is not None and not settings.empty:
        meta[KEY] = settings.stored()
    return meta


def settings_of(meta: dict[str, Any] | None) -> ChatSettings | None:
    """The settings kept in a chat's meta. An imported chat may carry what does not fit:
    it is left unused rather than failing every answer."""
    raw = (meta or {}).get(KEY)
    if not raw:
        return None
    try:
        return ChatSettings.model_validate(raw)
    except ValidationError:
        log.warning("A chat's settings do not fit and are not used")
        return None
