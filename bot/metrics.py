"""Prometheus metrics of the service; labels are route templates and intents, never what a person typed."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The service's metrics, in a registry of their own (one per app, so tests never share counts)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("bot_requests_total", "HTTP requests", ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram(
            "bot_request_seconds", "HTTP request latency", ["route"], registry=self.registry,
            buckets=(0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5),
        )
        self.intents = Counter("bot_answers_total", "Answers by intent", ["intent"], registry=self.registry)
        self.cache = Counter("bot_answer_cache_total", "Answer cache lookups", ["result"], registry=self.registry)
        self.shed = Counter("bot_shed_total", "Uncached answers refused with 503 because too many were pending", registry=self.registry)
        self.pending = Gauge("bot_answers_pending", "Uncached answers waiting for or in the thread pool", registry=self.registry)
        self.rate_limited = Counter("bot_rate_limited_total", "Answers refused with 429, by what they would have cost", ["cost"], registry=self.registry)
