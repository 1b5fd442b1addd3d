"""A regular install (`pip install .`, as the container image does) carries corpus/ and web/ and finds them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_regular_install_finds_the_corpus_and_the_pages_inside_the_package(tmp_path):
    src = tmp_path / "src"  # a copy: an in-tree build would leave build/ and *.egg-info in the checkout
    for name in ("bot", "corpus", "web"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", src)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)], check=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("bot-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"bot/data/{p.relative_to(ROOT).as_posix()}" for d in ("corpus", "web") for p in (ROOT / d).rglob("*") if p.is_file()}
    assert shipped <= names, sorted(shipped - names)[:5]

    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--no-compile", "--target", str(site), str(wheel)], check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing may be found beside the source
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("BOT_")}
    probe = (
        "import bot.api, bot.corpus, bot.pages, bot.settings;"
        "print(bot.corpus.DEFAULT_CORPUS_DIR); print(bot.pages.WEB_DIR); print(bot.settings.Settings().index_dir)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60, check=True)
    corpus_dir, web_dir, index_dir = (Path(line) for line in out.stdout.split())
    assert corpus_dir == site / "bot" / "data" / "corpus" and web_dir == site / "bot" / "data" / "web"
    assert (web_dir / "kiosk.html").is_file()
    assert index_dir.resolve() == elsewhere / "index"  # an installed package keeps no index in site-packages
    check = subprocess.run([sys.executable, "-m", "bot.cli", "check-corpus"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and "corpus OK" in check.stdout, check.stderr
