"""deploy/: each file checked by the tool its users run (systemd-analyze, kubectl kustomize + a schema check, promtool),
and the figures that must agree across files."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings
from deploytools import REQUIRED, tool

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
pytestmark = pytest.mark.deploy


def run(*cmd: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- systemd


def _installed(tmp: Path, env_file: str, kiosk: bool) -> Path:
    """The unit installed as its comments say, its paths moved under `tmp`, with a stand-in for the bot it starts."""
    app, env = tmp / "opt" / "zj-bot", tmp / "etc" / "zj-bot" / "zj-bot.env"
    unit = tmp / "system" / "zj-bot.service"
    unit.parent.mkdir(parents=True)
    text = (DEPLOY / "systemd" / "zj-bot.service").read_text(encoding="utf-8")
    unit.write_text(text.replace("/opt/zj-bot", str(app)).replace("/etc/zj-bot/zj-bot.env", str(env)), encoding="utf-8")
    if kiosk:  # verify reads drop-ins from the unit's own directory
        (tmp / "system" / "zj-bot.service.d").mkdir()
        shutil.copy(DEPLOY / "systemd" / "kiosk.conf", tmp / "system" / "zj-bot.service.d")
    env.parent.mkdir(parents=True)
    shutil.copy(DEPLOY / "systemd" / env_file, env)
    bot = app / ".venv" / "bin" / "bot"
    bot.parent.mkdir(parents=True)
    bot.write_text("#!/bin/sh\n")
    bot.chmod(0o755)
    return unit


@pytest.mark.parametrize("env_file, kiosk", [("city.env", False), ("kiosk.env", True)])
def test_systemd_analyze_verifies_the_unit(tmp_path, env_file, kiosk):
    analyze = tool("systemd-analyze", "systemd")
    out = run(analyze, "verify", str(_installed(tmp_path, env_file, kiosk)))
    # verify exits 0 on an unknown or misspelt key and only warns: any warning fails here
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr


def test_the_unit_is_hardened_and_restarts_on_failure():
    unit = (DEPLOY / "systemd" / "zj-bot.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit, flags=re.M))
    for key, value in {"Restart": "on-failure", "ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
                       "CacheDirectory": "zj-bot", "EnvironmentFile": "/etc/zj-bot/zj-bot.env"}.items():
        assert settings.get(key) == value, key


@pytest.mark.parametrize("env_file", ["city.env", "kiosk.env"])
def test_each_environment_file_holds_only_real_settings(env_file, monkeypatch):
    lines = [ln for ln in (DEPLOY / "systemd" / env_file).read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    values = dict(ln.split("=", 1) for ln in lines)
    fields = {f"BOT_{name.upper()}" for name in Settings.model_fields}
    assert set(values) <= fields, set(values) - fields  # a misspelt variable would be ignored without a word
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    Settings()  # every value parses


# ---------------------------------------------------------------- Kubernetes


def test_kustomize_renders_every_manifest_and_each_passes_the_schema_check(tmp_path):
    kubectl = tool("kubectl", "kubernetes-client")
    rendered = run(kubectl, "kustomize", str(DEPLOY / "k8s"))
    assert rendered.returncode == 0, rendered.stderr
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    files = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    listed = set(yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())["resources"])
    assert listed == files  # a manifest left out of the kustomization would never be applied
    assert sorted(d["kind"] for d in docs) == ["Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Service"]
    try:
        import kubernetes_validate  # noqa: F401  (offline: the schemas ship inside the package)
    except ImportError:
        if REQUIRED:
            pytest.fail("kubernetes-validate is not installed (the test extra)")
        pytest.skip("kubernetes-validate is not installed (the test extra)")
    out_file = tmp_path / "rendered.yaml"
    out_file.write_text(rendered.stdout)
    validate = shutil.which("kubernetes-validate", path=str(Path(sys.executable).parent))
    checked = run(validate, "--strict", str(out_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("passed") == len(docs)


def test_the_pod_is_probed_limited_and_locked_down():
    deployment = yaml.safe_load((DEPLOY / "k8s" / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (bot,) = pod["containers"]
    assert bot["readinessProbe"]["httpGet"]["path"] == "/readyz" and bot["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert bot["startupProbe"]["httpGet"]["path"] == "/readyz"
    assert bot["securityContext"]["readOnlyRootFilesystem"] is True and pod["securityContext"]["runAsNonRoot"] is True
    assert {"cpu", "memory"} <= set(bot["resources"]["requests"]) and {"cpu", "memory"} <= set(bot["resources"]["limits"])
    env = {e["name"]: e["value"] for e in bot["env"]}
    # one encoder thread per CPU of the limit: more would wait on each other whenever the quota runs out
    assert int(env["BOT_ENCODER_THREADS"]) == int(bot["resources"]["limits"]["cpu"])
    policy = yaml.safe_load((DEPLOY / "k8s" / "networkpolicy.yaml").read_text())
    assert policy["spec"]["egress"] == [] and "Egress" in policy["spec"]["policyTypes"]  # no network at run time


# ---------------------------------------------------------------- Prometheus


def test_promtool_checks_the_scrape_config_and_the_rules_and_runs_their_unit_tests():
    promtool = tool("promtool", "prometheus")
    folder = DEPLOY / "prometheus"
    for cmd in (("check", "config", "prometheus.yml"), ("check", "rules", "zj-bot.rules.yml"), ("test", "rules", "zj-bot.rules.test.yml")):
        out = run(promtool, *cmd, cwd=folder)
        assert out.returncode == 0, f"promtool {' '.join(cmd)}:\n{out.stdout}{out.stderr}"
    alerts = {r["alert"] for g in yaml.safe_load((folder / "zj-bot.rules.yml").read_text())["groups"] for r in g["rules"] if "alert" in r}
    tested = set(re.findall(r"alertname: (\w+)", (folder / "zj-bot.rules.test.yml").read_text()))
    assert alerts == tested == {"ZjBotDown", "ZjBotErrors", "ZjBotShedding", "ZjBotSlowAnswers", "ZjBotRateLimited"}


def test_the_alerts_watch_metrics_the_bot_exports():
    from bot.api import Metrics

    exported = set()
    for family in Metrics().registry.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}[family.type]
        exported |= {family.name + s for s in suffixes}
    rules = (DEPLOY / "prometheus" / "zj-bot.rules.yml").read_text()
    used = set(re.findall(r"\b(bot_[a-z_]+)", rules))
    assert used and used <= exported, used - exported  # a renamed metric would leave an alert that never fires


# ---------------------------------------------------------------- the kiosk's browser


class _NotReadyTwice(http.server.BaseHTTPRequestHandler):
    """/readyz: 503 twice (the bot still loading), then 200."""

    probes = 0

    def do_GET(self):  # noqa: N802
        type(self).probes += 1
        self.send_response(200 if type(self).probes > 2 else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_kiosk_browser_waits_for_the_bot_then_shows_its_kiosk_page_full_screen(tmp_path):
    sh, curl = tool("sh", "dash"), tool("curl", "curl")
    stubs = tmp_path / "bin"  # a chromium that records how it was started
    stubs.mkdir()
    (stubs / "chromium").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path / "args"}\n')
    (stubs / "chromium").chmod(0o755)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotReadyTwice)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        env = {"PATH": f"{stubs}:{Path(curl).parent}:/usr/bin:/bin", "KIOSK_URL": url}
        out = run(sh, str(DEPLOY / "kiosk" / "kiosk-browser"), env=env, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert out.returncode == 0, out.stderr
    args = (tmp_path / "args").read_text().split()
    assert _NotReadyTwice.probes == 3 and "--kiosk" in args and args[-1] == f"{url}/kiosk"


def test_the_kiosk_autostart_entry_is_valid_and_starts_the_script():
    validate = tool("desktop-file-validate", "desktop-file-utils")
    entry = DEPLOY / "kiosk" / "kiosk-browser.desktop"
    out = run(validate, str(entry))
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr
    assert "Exec=/usr/local/bin/kiosk-browser" in entry.read_text(encoding="utf-8")
