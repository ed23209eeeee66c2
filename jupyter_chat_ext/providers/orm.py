from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.orm import Base, JsonType


class ConnectionRow(Base):
    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "openai" or "ollama"
    name: Mapped[str] = mapped_column(String(255))
    base_url: Mapped[str] = mapped_column(String(2000))
    # Sent upstream only; API responses carry a masked form.
    api_key: Mapped[str] = mapped_column(Text, default="")
    prefix: Mapped[str] = mapped_column(String(100), default="")
    model_ids: Mapped[list[str]] = mapped_column(JsonType, default=list)
    headers: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # "config" or "env" rows are re-read from configuration at every start; "api" rows are
    # the admins' own.
    origin: Mapped[str] = mapped_column(String(16), default="api")
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
