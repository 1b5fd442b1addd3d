"""Rate limiting: token buckets, loopback exemption, X-Forwarded-For only from trusted proxies, 429 with Retry-After."""

from fastapi.testclient import TestClient

from bot.api import create_app
from bot.ratelimit import RateLimiter, client_address
from bot.settings import Settings


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_bucket_allows_a_burst_then_asks_to_wait_then_refills():
    clock = Clock()
    limiter = RateLimiter(rate_per_minute=60, burst=3, clock=clock)
    assert [limiter.retry_after("1.2.3.4") for _ in range(3)] == [0, 0, 0]
    assert limiter.retry_after("1.2.3.4") == 1
    assert limiter.retry_after("5.6.7.8") == 0  # other clients are not affected
    clock.now += 1.0
    assert limiter.retry_after("1.2.3.4") == 0


def test_loopback_is_exempt_unless_asked_and_zero_rate_is_off():
    assert all(RateLimiter(60, 1).retry_after("127.0.0.1") == 0 for _ in range(5))
    strict = RateLimiter(60, 1, limit_loopback=True)
    assert [strict.retry_after("::1") for _ in range(2)] == [0, 1]
    assert all(RateLimiter(0, 1).retry_after("1.2.3.4") == 0 for _ in range(5))


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    assert client_address("203.0.113.9", "1.1.1.1", ["10.0.0.0/8"]) == "203.0.113.9"
    assert client_address("10.0.0.2", "1.1.1.1, 10.0.0.7", ["10.0.0.0/8"]) == "1.1.1.1"
    assert client_address("10.0.0.2", "6.6.6.6, 1.1.1.1", ["10.0.0.0/8"]) == "1.1.1.1"  # a client can't spoof past its proxy
    assert client_address("10.0.0.2", None, ["10.0.0.0/8"]) == "10.0.0.2"


def test_api_answers_429_with_retry_after(fake_engine):
    settings = Settings(rate_limit=1, rate_limit_burst=2, trusted_proxies="10.0.0.0/8", cache_size=0)  # no refill mid-test
    client = TestClient(create_app(fake_engine, settings), client=("10.0.0.2", 50000))  # requests come via a proxy
    headers = {"X-Forwarded-For": "198.51.100.7"}
    codes = [client.get("/api/ask", params={"q": f"举报{i}"}, headers=headers).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    limited = client.post("/api/chat", json={"message": "你好"}, headers=headers)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "try again" in limited.json()["detail"]
    assert client.get("/api/ask", params={"q": "举报"}, headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # only answers are limited


def test_requests_are_charged_by_cost():
    clock = Clock()
    limiter = RateLimiter(rate_per_minute=60, burst=2, clock=clock)
    assert [limiter.retry_after("1.2.3.4", 0.05) for _ in range(40)] == [0] * 40  # forty cached answers: two tokens
    assert limiter.retry_after("1.2.3.4", 1.0) == 1  # nothing left for a new question
    clock.now += 1.0
    assert limiter.retry_after("1.2.3.4", 1.0) == 0
