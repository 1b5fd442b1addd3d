"""All configuration, from the environment (prefix BOT_) or a .env file. Only api.py and cli.py read it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .corpus import DEFAULT_CORPUS_DIR
from .paths import PROJECT_DIR
from .segment import default_cache_dir


class Settings(BaseSettings):
    """Deployment settings; every field can be set as BOT_<NAME> (e.g. BOT_INDEX_DIR=/srv/bot/index)."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="address `bot serve` binds to")
    port: int = Field(8000, description="port `bot serve` listens on")
    corpus_dir: Path = Field(DEFAULT_CORPUS_DIR, description="the corpus to answer from")
    index_dir: Path = Field(PROJECT_DIR / "index", description="the built index (`bot build` writes it)")
    cache_dir: Path = Field(default_cache_dir(), description="writable place for jieba's cache")
    encoder: str = Field("e5", description="'e5' (bundled multilingual-e5-small) or 'st:/path/to/model'")
    query_prompt: str = Field("", description="prefix for questions with a sentence-transformers model (e.g. 'query: ')")
    passage_prompt: str = Field("", description="prefix for passages with a sentence-transformers model (e.g. 'passage: ')")
    encoder_threads: int = Field(
        0, ge=0, le=256,
        description="threads of the encoder's OpenMP team, fixed when it loads; 0 = OpenMP's default (OMP_NUM_THREADS, else one"
        " per core). 1 where other processes share the cores (a kiosk's browser, a pod's CPU limit): see docs/deploy.md",
    )
    cors_origins: str = Field("", description="comma-separated origins allowed to call the API (the widget's host pages)")
    cache_size: int = Field(2048, ge=0, description="answers kept in the LRU cache (0 turns it off)")
    ask_max_age: int = Field(300, ge=0, description="Cache-Control max-age of GET /api/ask, seconds")
    kiosk_idle_seconds: int = Field(90, ge=5, description="the kiosk wipes the conversation after this idle time")
    access_log: bool = Field(False, description="log method, route template, status and time of each request (never the text)")
    log_unanswered: bool = Field(False, description="opt-in: log questions that found no answer, redacted")
    log_level: str = Field("INFO", description="logging level")
    rate_limit: int = Field(60, ge=0, description="new questions per minute per client IP (0 turns rate limiting off)")
    rate_limit_burst: int = Field(20, ge=1, description="new questions a client may ask at once before the rate applies")
    rate_limit_loopback: bool = Field(False, description="also limit clients on 127.0.0.1/::1 (a kiosk on loopback is exempt by default)")
    max_pending: int = Field(
        16, ge=0,
        description="new (uncached) questions waiting or being answered at once per worker; past it a new one gets 503 + Retry-After at once (0 = no limit)",
    )
    trusted_proxies: str = Field("", description="comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed")
    # issue 13: what costs a client its rate, and who may frame the widget's page
    rate_limit_cached_cost: float = Field(
        0.05, ge=0, le=1,
        description="what an answer from the cache costs, in new questions (0.05: twenty cached answers count as one new question)",
    )
    embed_ancestors: str = Field(
        "*", pattern=r"^[A-Za-z0-9*:/.\-' \[\]]+$", description="origins allowed to frame /embed, the widget's page (space-separated; * = any site may embed the widget)",
    )
    keep_alive: int = Field(
        75, ge=1,
        description="seconds an idle keep-alive connection stays open; longer than a reverse proxy's or a visitor's pause, so the"
        " server never closes a connection just as the client sends on it",
    )

    @property
    def cors_origin_list(self) -> list[str]:
        """The CORS origins as a list."""
        return _split(self.cors_origins)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies as a list."""
        return _split(self.trusted_proxies)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]
