"""The real tools that check deploy/: where each is, or a skip naming it, or a failure in CI (.ci/run installs them)."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRED = os.environ.get("CI") == "true" or os.environ.get("BOT_REQUIRE_BROWSER") == "1"


def tool(name: str, package: str) -> str:
    """The path of a command-line tool; skips the test when it is missing, fails instead in CI."""
    path = shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")
    if path:
        return path
    message = f"{name} is not installed (Debian package {package}; .ci/run installs it)"
    if REQUIRED:
        pytest.fail(f"{message}, and CI needs every deployment check")
    pytest.skip(message)


def as_root(what: str) -> None:
    """Skip (fail in CI) unless this process is root, which `what` needs."""
    if os.geteuid() != 0:
        message = f"{what} needs root"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
