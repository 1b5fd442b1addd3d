"""Where the data shipped with the bot lives: corpus/ and web/ beside bot/ in a checkout (and `pip install -e .`),
inside the package as bot/data/ after a regular `pip install .` (pyproject.toml maps them there)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED_DATA = PACKAGE_DIR / "data"
FROM_CHECKOUT = not INSTALLED_DATA.is_dir()
# A checkout keeps index/, eval/ and docs/ beside bot/; an installed package has no such place: the working directory.
PROJECT_DIR = PACKAGE_DIR.parent if FROM_CHECKOUT else Path.cwd()


def shipped(name: str) -> Path:
    """The shipped data folder `name` ("corpus" or "web") of this installation."""
    return (PACKAGE_DIR.parent if FROM_CHECKOUT else INSTALLED_DATA) / name
