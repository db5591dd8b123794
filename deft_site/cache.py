"""The production cache: Redis, shared by every gunicorn worker process, failing open.

What lives in the cache must be shared across processes to mean anything: DRF's API throttles and the invite
links' new-account limits (annotation/throttles.py) count requests there, and with Django's default per-process
memory cache each of gunicorn's workers kept its own count, so every limit was multiplied by the number of
workers. A Redis outage must not turn every API request into a 500 either: then reads miss and writes are
dropped (logged), so limits and cached reports pause until Redis is back while the site keeps serving.

One client per connection pool: Django's RedisCacheClient builds a new `redis.Redis` around its pool on every
cache call, and under a profiler that constructor cost more than the command it sent (a signed-in API request
makes three cache calls: its session, and DRF's throttle get and set). A `redis.Redis` over a pool is safe to
share between threads (each command takes its own connection from the pool), so the client is made once per pool
(bench/RESULTS.md, "Annotators under load": fourth round).
"""
from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


def _fail_open(name: str, default: Any):  # noqa: ANN202
    method = getattr(RedisCache, name)

    def call(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN001
        import redis

        try:
            return method(self, *args, **kwargs)
        except (redis.RedisError, OSError) as exc:
            logger.warning("cache unavailable (%s %s): %s", name, args[:1], exc)
            return default(*args, **kwargs) if callable(default) else default

    call.__name__ = name
    return call


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's client with one `redis.Redis` per connection pool instead of one per call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class FailOpenRedisCache(RedisCache):
    """Django's RedisCache whose reads miss and whose writes are skipped while Redis cannot be reached."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    get = _fail_open("get", lambda key, default=None, version=None: default)
    set = _fail_open("set", None)
    add = _fail_open("add", False)
    delete = _fail_open("delete", False)
    get_many = _fail_open("get_many", lambda *a, **k: {})
    set_many = _fail_open("set_many", lambda data, *a, **k: list(data))
    incr = _fail_open("incr", lambda key, delta=1, version=None: delta)
    touch = _fail_open("touch", False)
    clear = _fail_open("clear", None)
