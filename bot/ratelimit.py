"""Per-client rate limiting by cost (token buckets in memory; each worker keeps its own).

A new question needs the encoder and costs one token; a cached answer costs a small fraction of one, so a class
behind one school address can tap the same starter questions while one client still cannot flood the encoder."""

from __future__ import annotations

import ipaddress
import math
import threading
import time


class RateLimiter:
    """`rate` tokens per minute per client, at most `burst` saved up; loopback clients exempt unless asked."""

    MAX_CLIENTS = 50_000  # forget idle clients past this many, so memory stays bounded under a flood

    def __init__(self, rate_per_minute: int, burst: int, limit_loopback: bool = False, clock=time.monotonic):
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.limit_loopback = limit_loopback
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether any limit applies."""
        return self.rate > 0

    def retry_after(self, client: str, cost: float = 1.0) -> int:
        """0 if the client may go ahead (and charge it `cost` tokens), else seconds until it may."""
        if not self.enabled or (not self.limit_loopback and _is_loopback(client)):
            return 0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost - 1e-9:  # forty 0.05s must add up to exactly 2 tokens
                self._buckets[client] = (max(0.0, tokens - cost), now)
                if len(self._buckets) > self.MAX_CLIENTS:
                    self._prune(now)
                return 0
            self._buckets[client] = (tokens, now)
            return max(1, math.ceil((cost - tokens) / self.rate))

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        for key in [k for k, (_, last) in self._buckets.items() if now - last >= full_after]:
            del self._buckets[key]
        while len(self._buckets) > self.MAX_CLIENTS:
            self._buckets.pop(next(iter(self._buckets)))


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address in ("localhost", "testclient")


def client_address(peer: str | None, forwarded_for: str | None, trusted: list[str]) -> str:
    """The client's IP: the peer, or — only when the peer is a trusted proxy — the last untrusted X-Forwarded-For hop."""
    peer = peer or "unknown"
    networks = []
    for item in trusted:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    if not forwarded_for or not is_trusted(peer):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            return hop
    return hops[0] if hops else peer
