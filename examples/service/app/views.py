"""The service's own pages: a notes page and a small JSON API."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from .auth import current_user_id
from .extensions import db
from .models import Note

bp = Blueprint("notes", __name__)
logger = logging.getLogger(__name__)


@bp.get("/")
def index() -> str:
    notes = db.session.scalars(db.select(Note).order_by(Note.id.desc()).limit(20)).all()
    return render_template("index.html", notes=notes, views=_count_view())


@bp.get("/api/notes")
def list_notes() -> Any:
    notes = db.session.scalars(db.select(Note).order_by(Note.id)).all()
    return jsonify([note.to_dict() for note in notes])


@bp.post("/api/notes")
def add_note() -> Any:
    data = request.get_json(silent=True) or {}
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 500:
        abort(400, description="send JSON with a 'text' of 1 to 500 characters")
    note = Note(text=text.strip(), author=current_user_id() or "anonymous")
    db.session.add(note)
    db.session.commit()
    logger.info("note added", extra={"note_id": note.id})
    return jsonify(note.to_dict()), 201


def _count_view() -> int | None:
    """Count page views in Redis when REDIS_URL is set."""
    client = current_app.extensions.get("example.redis")
    if client is None:
        return None
    import redis

    try:
        return int(client.incr("example:views"))
    except redis.RedisError:
        logger.warning("cannot count the page view", exc_info=True)
        return None
