"""JSON API (read-only endpoints come in a later issue); for now the health check."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint
from flask import jsonify
from sqlalchemy.exc import SQLAlchemyError

from survey.db import get_session
from survey.db import ping

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/health")
def health() -> Any:
    """200 with ``{"status": "ok"}`` when the database answers, else 503."""
    try:
        ok = ping(get_session())
    except SQLAlchemyError as exc:
        logger.warning("health check: database error %s", type(exc).__name__)
        ok = False
    if ok:
        return jsonify({"status": "ok", "database": "ok"})
    return jsonify({"status": "error", "database": "unavailable"}), 503
