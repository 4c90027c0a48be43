"""The Redis cache, failing open. The cache holds only allauth's rate-limit
counters (login, password reset). With django-redis's own IGNORE_EXCEPTIONS
a Redis outage locks everyone out instead: allauth takes a lock with
`cache.add`, which then answers None, and a rate limit whose lock cannot be
had refuses the attempt. Here, while Redis is unreachable, reads miss, writes
are dropped and `add` succeeds, so members still log in (without the limits,
for as long as the outage lasts; docs/deployment.md, "When a service fails"),
and a warning is logged once a minute. After a failure Redis is left alone
for RETRY_SECONDS, so that no request waits for a connection timeout."""

import functools
import logging
import time

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

RETRY_SECONDS = 5
WARN_EVERY_SECONDS = 60
UNREACHABLE = (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError, OSError)


class _Outage:
    """Process-wide: every thread's cache instance shares what one has learnt."""

    down_until = 0.0
    warned_at = -WARN_EVERY_SECONDS

    @classmethod
    def skip(cls) -> bool:
        return time.monotonic() < cls.down_until

    @classmethod
    def begin(cls, error: Exception) -> None:
        now = time.monotonic()
        cls.down_until = now + RETRY_SECONDS
        if now - cls.warned_at >= WARN_EVERY_SECONDS:
            cls.warned_at = now
            log.warning(
                "the Redis cache is unreachable (%s): rate limits are off until it is back",
                error.__cause__ or error,
            )


def _fail_open(answer):
    """Call the method, or give `answer(*args, **kwargs)` while Redis is unreachable."""

    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            if _Outage.skip():
                return answer(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as error:
                _Outage.begin(error)
                return answer(*args, **kwargs)

        return call

    return wrap


def _default(key, default=None, *args, **kwargs):
    return default


class FailOpenRedisCache(RedisCache):
    get = _fail_open(_default)(RedisCache.get)
    get_many = _fail_open(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _fail_open(lambda *a, **k: False)(RedisCache.has_key)
    add = _fail_open(lambda *a, **k: True)(RedisCache.add)
    set = _fail_open(lambda *a, **k: True)(RedisCache.set)
    set_many = _fail_open(lambda *a, **k: [])(RedisCache.set_many)
    touch = _fail_open(lambda *a, **k: False)(RedisCache.touch)
    delete = _fail_open(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _fail_open(lambda *a, **k: 0)(RedisCache.delete_many)
    clear = _fail_open(lambda *a, **k: None)(RedisCache.clear)
