"""allauth's login and password-reset rate limits, on the Redis cache, tried
through the real forms: the attempt past the limit is refused (the right
password too), the count lives in Redis under allauth's key with the window as
its expiry, and once the key is gone (the window has passed) the login works."""

import hashlib
import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

LOGIN = reverse("account_login")
RESET = reverse("account_reset_password")
PASSWORD = "pass-word-123"
TOO_MANY_LOGINS = "登录失败次数过多"
TOO_MANY_REQUESTS = "尝试次数过多"

on_redis = "redis" in settings.CACHES["default"]["BACKEND"].lower()
pytestmark = pytest.mark.skipif(
    not on_redis and not os.environ.get("LVZHI_REQUIRE_SERVICES"),
    reason="rate limits are tested on the Redis cache",
)


@pytest.fixture
def redis():
    """The raw Redis connection behind the cache, with no rate-limit key left
    over from another test, before or after."""
    assert on_redis, "LVZHI_REQUIRE_SERVICES is set but the cache is not Redis"
    from django_redis import get_redis_connection

    cache.delete_pattern("allauth:rl:*")
    yield get_redis_connection("default")
    cache.delete_pattern("allauth:rl:*")


def _rate_key(action: str, rate: str, source: str) -> str:
    """allauth's cache key (allauth.core.internal.ratelimit.get_cache_key);
    a per-key rate hashes its key, a per-ip one names the address."""
    return f"allauth:rl:allauth.account:{action}:{rate}:{source}"


def _key_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _in_redis(name: str) -> str:
    """The key as Redis stores it: the cache's prefix and version in front."""
    return cache.make_key(name)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_sixth_failed_login_of_an_account_is_refused_right_password_too(client, world, redis):
    for attempt in range(5):
        response = client.post(LOGIN, {"login": "member", "password": f"wrong-{attempt}"})
        assert response.status_code == 200
        assert TOO_MANY_LOGINS not in response.content.decode()

    # allauth's per-account count (login_failed 5/5m/key) is in Redis, expiring with the window
    account_key = _rate_key("login_failed", "5/300.0/key", _key_hash("testserver:member"))
    assert redis.exists(_in_redis(account_key))
    assert len(cache.get(account_key)) == 5
    assert 0 < redis.ttl(_in_redis(account_key)) <= 300
    # and the per-address count beside it (10/m/ip)
    address_key = _rate_key("login_failed", "10/60/ip", "ip:127.0.0.1")
    assert len(cache.get(address_key)) == 5
    assert 0 < redis.ttl(_in_redis(address_key)) <= 60

    response = client.post(LOGIN, {"login": "member", "password": PASSWORD})
    assert response.status_code == 200
    assert TOO_MANY_LOGINS in response.content.decode()
    assert not _logged_in(client)

    # the limit is the account's: a colleague at the same address still logs in
    response = client.post(LOGIN, {"login": "colleague", "password": PASSWORD})
    assert response.status_code == 302
    assert _logged_in(client)
    client.logout()

    # the window passes (its key expires): the member logs in again
    redis.delete(_in_redis(account_key))
    response = client.post(LOGIN, {"login": "member", "password": PASSWORD})
    assert response.status_code == 302
    assert response.wsgi_request.user == world.member.person.user


def test_a_right_password_does_not_reset_the_count_of_failures(client, world, redis):
    # a correct login in between rolls back only its own attempt, so an
    # attacker who also holds one account cannot keep guessing another's
    account_key = _rate_key("login_failed", "5/300.0/key", _key_hash("testserver:member"))
    for attempt in range(4):
        client.post(LOGIN, {"login": "member", "password": f"wrong-{attempt}"})
    client.post(LOGIN, {"login": "member", "password": PASSWORD})
    client.logout()
    assert len(cache.get(account_key)) == 4
    client.post(LOGIN, {"login": "member", "password": "wrong-again"})
    response = client.post(LOGIN, {"login": "member", "password": PASSWORD})
    assert TOO_MANY_LOGINS in response.content.decode()
    assert not _logged_in(client)


def test_the_eleventh_failure_from_one_address_is_refused_whatever_the_account(
    client, world, redis
):
    for n in range(10):
        client.post(LOGIN, {"login": f"guess-{n}", "password": "x"}, REMOTE_ADDR="203.0.113.5")
    response = client.post(
        LOGIN, {"login": "colleague", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5"
    )
    assert TOO_MANY_LOGINS in response.content.decode()
    assert not _logged_in(client)
    assert redis.exists(_in_redis(_rate_key("login_failed", "10/60/ip", "ip:203.0.113.5")))

    # X-Forwarded-For is the client's to invent while no proxy is trusted: ignored
    response = client.post(
        LOGIN,
        {"login": "colleague", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert TOO_MANY_LOGINS in response.content.decode()

    # another address is not held back
    response = client.post(
        LOGIN, {"login": "colleague", "password": PASSWORD}, REMOTE_ADDR="203.0.113.6"
    )
    assert response.status_code == 302


def test_the_thirty_first_login_post_in_a_minute_gets_the_chinese_429_page(client, world, redis):
    for _ in range(30):
        assert client.post(LOGIN, {"login": "member", "password": PASSWORD}).status_code == 302
        client.logout()
    response = client.post(LOGIN, {"login": "member", "password": PASSWORD})
    assert response.status_code == 429
    assert TOO_MANY_REQUESTS in response.content.decode()
    assert not _logged_in(client)
    assert len(cache.get(_rate_key("login", "30/60/ip", "ip:127.0.0.1"))) == 30


def test_the_sixth_reset_request_for_one_address_in_a_minute_is_refused(
    client, world, redis, mailoutbox
):
    user = world.member.person.user
    user.email = "member@example.org"
    user.save()
    for _ in range(5):
        response = client.post(RESET, {"email": "member@example.org"})
        assert response.status_code == 302
    assert len(mailoutbox) == 5

    email_key = _rate_key("reset_password", "5/60/key", _key_hash("member@example.org"))
    assert len(cache.get(email_key)) == 5
    assert 0 < redis.ttl(_in_redis(email_key)) <= 60

    response = client.post(RESET, {"email": "Member@Example.org"})  # case does not help
    assert response.status_code == 429
    assert TOO_MANY_REQUESTS in response.content.decode()
    assert len(mailoutbox) == 5

    # the window passes: the member can ask again
    redis.delete(_in_redis(email_key))
    assert client.post(RESET, {"email": "member@example.org"}).status_code == 302
    assert len(mailoutbox) == 6


def test_the_twenty_first_reset_request_from_one_address_is_refused(client, world, redis):
    for n in range(20):
        assert client.post(RESET, {"email": f"n{n}@example.org"}).status_code == 302
    response = client.post(RESET, {"email": "someone-else@example.org"})
    assert response.status_code == 429
    assert TOO_MANY_REQUESTS in response.content.decode()
    assert redis.exists(_in_redis(_rate_key("reset_password", "20/60/ip", "ip:127.0.0.1")))
