"""deploy/Containerfile: built with buildah (chroot isolation: no container engine here) on the debian:bookworm-slim base
that .ci/debian-base makes from Debian's packages, with this machine's pip configuration lent to the build and kept
out of the image; then started as a runtime would start it, from the image's own configuration (user, environment,
working directory, command): root filesystem read-only, a tmpfs on /tmp, and no network but loopback. It answers
/readyz, one /api/chat and its own HEALTHCHECK."""

from __future__ import annotations

import configparser
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from deploytools import REQUIRED, as_root, tool

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "localhost/zj-bot:test"
BASE = "docker.io/library/debian:bookworm-slim"
pytestmark = [pytest.mark.deploy, pytest.mark.slow]

# A minimal runtime: the image's root read-only, a tmpfs on /tmp (the image's one writable path), then the command
# as the image's user, from its working directory. Run in fresh mount and PID namespaces, inside a network
# namespace that has only loopback.
RUNNER = r"""
set -e
root=$1 user=$2 workdir=$3; shift 3
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t tmpfs -o size=64m,mode=1777 tmpfs "$root/tmp"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
exec /usr/sbin/chroot --userspec="$user" "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" "$@"
"""

CLIENT = r"""
import json, sys, time, urllib.request
base = "http://127.0.0.1:8000"
deadline, ready = time.monotonic() + 180, None
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
            ready = json.load(r)
            break
    except OSError:
        time.sleep(0.5)
request = urllib.request.Request(base + "/api/chat", data=json.dumps({"message": "发现间谍怎么举报？"}).encode(),
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=60) as r:
    print(json.dumps({"ready": ready, "chat": json.load(r)}, ensure_ascii=False))
"""


def lent_pip_config(tmp: Path, marker: str) -> tuple[Path, Path | None, list[str]]:
    """This machine's pip configuration (files and PIP_* variables, as `pip config list` merges them) written as one
    pip.conf, the certificate it names, and the local folders and files it names (lent read-only at the same paths)."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True, timeout=60)
    config = configparser.ConfigParser(interpolation=None)
    for line in listed.stdout.splitlines():
        key, _, value = line.partition("=")
        section, _, name = key.rpartition(".")
        section = "global" if section in ("", ":env:") else section
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, name, value.strip().strip("'\""))
    cert, paths = None, []
    for section in config.sections():
        for name, value in config.items(section):
            for item in value.split():
                path = item.removeprefix("file://")
                if name == "cert" and os.path.isfile(path):
                    cert = Path(path)
                elif path.startswith("/") and os.path.exists(path):
                    # a local index's simple/ pages link to the files beside it: lend the folder holding both
                    paths.append(os.path.dirname(path.rstrip("/")) if item.startswith("file://") and "index-url" in name else path)
    conf = tmp / "pip.conf"
    with conf.open("w") as fh:
        fh.write(f"# {marker}\n")
        config.write(fh)
    return conf, cert, sorted(set(paths))


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The image built from deploy/Containerfile, and the marker of the pip configuration lent to its build."""
    as_root("building and starting an image with buildah, mount namespaces and chroot")
    buildah = tool("buildah", "buildah")
    tool("ip", "iproute2")
    if subprocess.run([buildah, "inspect", "--type", "image", BASE], capture_output=True).returncode != 0:
        message = f"no {BASE} image here: `.ci/debian-base` makes it from Debian's packages (debootstrap)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    tmp = tmp_path_factory.mktemp("image")
    marker = f"lent to the build by the image test {uuid.uuid4().hex}"
    conf, cert, paths = lent_pip_config(tmp, marker)
    cmd = [buildah, "build", "--isolation", "chroot", "--format", "docker", "--pull=never", "--layers", "--force-rm",
           "--secret", f"id=pip.conf,src={conf}", "-f", str(ROOT / "deploy" / "Containerfile"), "-t", IMAGE]
    if cert:
        cmd += ["--secret", f"id=pip-cert,src={cert}"]
    for path in paths:
        cmd += ["--volume", f"{path}:{path}:ro"]
    log = tmp / "build.log"
    with log.open("wb") as out:
        built = subprocess.run([*cmd, str(ROOT)], stdout=out, stderr=subprocess.STDOUT, timeout=3600)
    assert built.returncode == 0, log.read_text(errors="replace")[-4000:]
    return marker


def test_the_pip_configuration_lent_to_the_build_is_not_in_the_image(image):
    buildah = tool("buildah", "buildah")
    history = subprocess.run([buildah, "inspect", "--type", "image", IMAGE], capture_output=True, text=True, check=True).stdout
    assert image not in history
    ctr = subprocess.run([buildah, "from", "--pull=never", IMAGE], capture_output=True, text=True, check=True).stdout.strip()
    try:
        rootfs = subprocess.run([buildah, "mount", ctr], capture_output=True, text=True, check=True).stdout.strip()
        found = subprocess.run(["grep", "-rlIF", image, rootfs], capture_output=True, text=True, timeout=600)
        assert found.returncode == 1 and not found.stdout, found.stdout  # 1: grep found nothing
        assert not any((Path(rootfs) / p).exists() for p in ("etc/pip.conf", "run/secrets/pip.conf", "run/secrets/pip-cert"))
    finally:
        subprocess.run([buildah, "rm", ctr], capture_output=True)


def test_the_image_starts_read_only_without_network_and_answers(image, tmp_path):
    buildah = tool("buildah", "buildah")
    config = json.loads(subprocess.run([buildah, "inspect", "--type", "image", IMAGE], capture_output=True, text=True, check=True).stdout)
    docker = config["Docker"]["config"]
    assert docker["User"].split(":")[0] not in ("", "0", "root")
    env = dict(item.split("=", 1) for item in docker["Env"])
    assert env["BOT_HOST"] == "0.0.0.0" and env["BOT_PORT"] == "8000" and env["BOT_CACHE_DIR"].startswith("/tmp/")
    health = docker["Healthcheck"]["Test"]
    assert health[0] == "CMD" and "/healthz" in " ".join(health)

    ns = f"zjbot-test-{os.getpid()}"
    ctr = subprocess.run([buildah, "from", "--pull=never", IMAGE], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    server = None
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        rootfs = subprocess.run([buildah, "mount", ctr], capture_output=True, text=True, check=True).stdout.strip()
        runner = tmp_path / "run.sh"
        runner.write_text(RUNNER)

        def in_container(*command: str) -> list[str]:
            return ["ip", "netns", "exec", ns, "unshare", "--mount", "--pid", "--fork", "--kill-child", "env", "-i", *docker["Env"],
                    "/bin/sh", str(runner), rootfs, docker["User"], docker["WorkingDir"], *command]

        log = tmp_path / "server.log"
        with log.open("wb") as out:  # a session of its own: the server changes user, so only its group can be signalled whole
            server = subprocess.Popen(in_container(*docker["Cmd"]), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        asked = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", CLIENT], capture_output=True, text=True, timeout=300)
        assert asked.returncode == 0, asked.stderr + log.read_text(errors="replace")[-3000:]
        answer = json.loads(asked.stdout)
        assert answer["ready"]["status"] == "ready"
        chat = answer["chat"]
        assert chat["intent"] in ("question", "report") and chat["citations"] and any(c["value"] == "12339" for c in chat["channels"])
        checked = subprocess.run(in_container(*health[1:]), capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr
        assert "Read-only file system" not in log.read_text(errors="replace")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run([buildah, "rm", ctr], capture_output=True)
