"""Bounded in-process caches: the signed CSRF tokens and verified session cookies
(:mod:`survey.security`), the question pages' item markup and page shells
(:mod:`survey.respond`), parsed ``Cookie`` headers (:mod:`survey`)."""

from __future__ import annotations

from typing import Any
from typing import TypeVar

_V = TypeVar("_V")


def keep(cache: dict[Any, _V], key: Any, value: _V, limit: int) -> _V:
    """Store ``value`` under ``key`` in ``cache``, a dict of at most ``limit`` entries:
    when it is full, the oldest entry goes first. Returns ``value``.

    Threads may share a cache: an entry another thread removed meanwhile is not removed
    twice."""
    if len(cache) >= limit:
        try:
            cache.pop(next(iter(cache)), None)
        except (StopIteration, RuntimeError):  # emptied or changed by another thread
            pass
    cache[key] = value
    return value
