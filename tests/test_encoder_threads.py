"""BOT_ENCODER_THREADS reaches the encoder's OpenMP team (it is fixed when the engine loads, so each count gets a
fresh process, measured by the bench's own child mode)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _os_threads_after_encoding(threads: int) -> int:
    out = subprocess.run([sys.executable, "-m", "bench.encoder_threads", "--child", str(threads), "--calls", "3", "--seconds", "10"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["os_threads"]


@pytest.mark.slow
def test_the_encoder_threads_setting_sizes_the_openmp_team():
    one, three = _os_threads_after_encoding(1), _os_threads_after_encoding(3)
    assert three - one == 2  # the team's extra workers; everything else in the process is the same
