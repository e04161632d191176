"""A throwaway PostgreSQL schema for a benchmark run (shared by bench_export and
bench_survey_load): every connection of the returned URL works inside it."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine
from sqlalchemy import text


def create_schema(base: str) -> tuple[str, str]:
    """Create a fresh schema on the server of ``base``; return ``(url, schema)``, where
    ``url`` is ``base`` with ``search_path`` set to the schema."""
    schema = f"kesu_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def drop_schema(base: str, schema: str) -> None:
    """Drop the schema made by :func:`create_schema` and everything in it."""
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
