from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.orm import Base, JsonType


class PresetRow(Base):
    __tablename__ = "presets"

    # The model id people pick. Public presets share one namespace with upstream model ids;
    # a private one is its owner's alone, so nobody learns what others named theirs.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255))
    base_model: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    capabilities: Mapped[list[str]] = mapped_column(JsonType, default=list)
    visibility: Mapped[str] = mapped_column(String(16))  # "private" or "public"
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_presets_visibility_user", "visibility", "user_id"),
        Index(
            "uq_presets_public_id",
            "id",
            unique=True,
            sqlite_where=text("visibility = 'public'"),
            postgresql_where=text("visibility = 'public'"),
        ),
    )
