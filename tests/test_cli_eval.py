"""`bot eval`: the table in docs/benchmarks.md is replaced only by a run on every set."""

from __future__ import annotations

import json

import pytest

from bot import cli


class _Kept:
    """The shared test engine, which `bot eval` must not close."""

    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def close(self) -> None:
        pass


@pytest.fixture
def project(tmp_path, monkeypatch, fake_engine):
    (tmp_path / "eval").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "eval" / "dev.yaml").write_text("- q: 公民有哪些反间谍安全防范义务\n  intent: question\n  gold: [[zhejiang-2019, 12]]\n", encoding="utf-8")
    (tmp_path / "docs" / "benchmarks.md").write_text("# Benchmarks\n\n<!-- eval:start -->\nevery set\n<!-- eval:end -->\n", encoding="utf-8")
    monkeypatch.setattr(cli, "PROJECT_DIR", tmp_path)
    monkeypatch.setattr(cli, "_open_engine", lambda settings: _Kept(fake_engine))
    return tmp_path


def test_a_run_on_some_sets_prints_them_and_leaves_the_recorded_table(project, capsys):
    assert cli.main(["eval", "--set", str(project / "eval" / "dev.yaml"), "--json"]) == 0
    assert "dev.yaml" in json.loads(capsys.readouterr().out)
    assert "every set" in (project / "docs" / "benchmarks.md").read_text(encoding="utf-8")


def test_a_run_on_every_set_records_the_table(project, capsys):
    assert cli.main(["eval"]) == 0
    recorded = (project / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "every set" not in recorded and "dev.yaml" in recorded
