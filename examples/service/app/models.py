"""The one table of the example: short notes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .extensions import db


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Note(db.Model):  # type: ignore[name-defined]
    __tablename__ = "notes"

    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(500), nullable=False)
    author = db.Column(db.String(100), nullable=False, default="anonymous")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=_now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
        }
