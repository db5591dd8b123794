"""The production cache (deft_site/cache.py) on a real Redis: one client per connection pool, shared by the threads
of a gunicorn worker, each of whose values comes back to the thread that stored it."""
from __future__ import annotations

import secrets
import threading

from deft_site.cache import FailOpenRedisCache
from tests.needs import need, port_open


def _cache() -> FailOpenRedisCache:
    need(port_open(6379), "Redis is not reachable on 127.0.0.1:6379")
    return FailOpenRedisCache("redis://127.0.0.1:6379/12", {"KEY_PREFIX": f"test-cache-{secrets.token_hex(4)}"})


def test_every_call_goes_through_one_client_per_pool():
    cache = _cache()
    cache.set("a", 1)
    first = cache._cache.get_client("a", write=True)
    assert cache.get("a") == 1
    assert cache._cache.get_client("a") is first  # one server: reads and writes share the pool and its client
    assert cache._cache.get_client("b", write=True) is first
    cache.delete("a")


def test_threads_sharing_the_client_each_read_back_their_own_values():
    cache = _cache()
    wrong: list[tuple[int, int, object]] = []

    def work(t: int) -> None:
        for i in range(200):
            cache.set(f"t{t}-{i}", t * 1000 + i, 30)
            got = cache.get(f"t{t}-{i}")
            if got != t * 1000 + i:
                wrong.append((t, i, got))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert cache.get_many([f"t3-{i}" for i in range(5)]) == {f"t3-{i}": 3000 + i for i in range(5)}
    cache.delete_many([f"t{t}-{i}" for t in range(8) for i in range(200)])
