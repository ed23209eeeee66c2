from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.orm import Base


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the key, hex: a key has 240 random bits, so a fast hash is enough (no salt or
    # slow KDF needed, unlike a password), and lookups by hash stay one index probe.
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger)
    # When the key stops working (ms since the epoch); None: when it is revoked.
    expires_at: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_api_keys_user", "user_id", "created_at"),)
