"""All configuration, from the environment (prefix BOT_) or a .env file. Only api.py and cli.py read it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .corpus import DEFAULT_CORPUS_DIR

PROJECT_DIR = DEFAULT_CORPUS_DIR.parent


class Settings(BaseSettings):
    """Deployment settings; every field can be set as BOT_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="address bot serve binds to")
    port: int = Field(8000, description="port bot serve listens on")
    corpus_dir: Path = Field(DEFAULT_CORPUS_DIR, description="the corpus to answer from")
    index_dir: Path = Field(PROJECT_DIR / "index", description="the built index (bot build writes it)")
