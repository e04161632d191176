"""Alembic environment: runs on the engine kesu passes in (``survey.db.upgrade``)."""

from __future__ import annotations

import logging

from alembic import context

from survey import models  # noqa: F401  (registers the tables on Base.metadata)
from survey.db import Base

logger = logging.getLogger(__name__)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run migrations with `kesu db upgrade` (survey.db.upgrade)")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; use `kesu db upgrade`")
run_migrations_online()
