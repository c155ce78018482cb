"""A newcomer's first command, for real: ``bin/run`` on a fresh clone with nothing set (embedded
PostgreSQL, a broker that needs no server) serves the demo without installing a system package,
and ``bin/stop`` then leaves no process of it behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support import closed_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SYSTEM_TOOLS = ("apt-get", "apt", "dpkg", "sudo", "yum", "dnf", "brew")


def _fresh_clone(tmp_path: Path) -> Path:
    """The committed project, cloned; its Python packages are the ones already installed (the
    same requirements: ``bin/setup`` finds them current), which is no system package anyway.

    They are hard-linked (copied across file systems), not linked as a folder: pgserver, run as
    root, lets its own user into the folders of the path it is given, and through a link that
    would leave out the folders above this checkout (``mktemp -d`` makes one only root enters).
    """
    clone = tmp_path / "rapport"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    venv = [str(ROOT / ".venv"), str(clone / ".venv")]
    if subprocess.run(["cp", "-al", *venv], capture_output=True).returncode:
        shutil.rmtree(clone / ".venv", ignore_errors=True)
        subprocess.run(["cp", "-a", *venv], check=True)
    return clone


def _tools_that_tell(tmp_path: Path) -> tuple[Path, Path]:
    """A folder of stand-ins for the system package managers (and sudo) that write down any
    call and fail; put first on PATH, they catch an install however it is spelled."""
    folder, calls = tmp_path / "system-tools", tmp_path / "system-tool-calls.log"
    folder.mkdir()
    for name in SYSTEM_TOOLS:
        tool = folder / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\nexit 1\n')
        tool.chmod(0o755)
    return folder, calls


def _processes_of(folder: Path) -> list[str]:
    """Live processes started from ``folder`` or naming it (the embedded PostgreSQL's data)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if str(folder) in command or cwd.startswith(str(folder)):
            found.append(f"{entry.name}: {command}")
    return found


def test_bin_run_serves_the_demo_from_a_fresh_clone_and_bin_stop_ends_all_of_it(tmp_path):
    clone = _fresh_clone(tmp_path)
    tools, calls = _tools_that_tell(tmp_path)
    port, platforms_port = closed_port(), closed_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
        and not key.startswith("RAPPORT_")
    }
    env |= {"PATH": f"{tools}:{env['PATH']}", "PORT": str(port),
            "PLATFORMS_PORT": str(platforms_port)}  # fmt: skip
    log = tmp_path / "bin-run.log"
    with log.open("w") as out:
        run = subprocess.Popen(
            ["bin/run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while "Rapport is running:" not in log.read_text():
            assert run.poll() is None, f"bin/run ended ({run.returncode}):\n{log.read_text()}"
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(1)
        assert f"http://demo.localhost:{port}/" in log.read_text()
        demo = {"Host": f"demo.localhost:{port}"}
        for _ in range(120):  # the web server starts after the banner
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", headers=demo, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert health.status_code == 200
        sign_in = httpx.get(f"http://127.0.0.1:{port}/accounts/login/", headers=demo, timeout=10)
        assert sign_in.status_code == 200 and "Sign in" in sign_in.text
        assert _processes_of(clone), "nothing seems to run from the clone"
    finally:
        stop = subprocess.run(["bin/stop"], cwd=clone, env=env, capture_output=True, text=True)
        try:
            run.wait(timeout=60)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, 9)

    assert stop.returncode == 0, stop.stderr
    assert "Embedded PostgreSQL stopped." in stop.stdout
    assert not calls.exists(), calls.read_text()  # no apt-get, no sudo: no system package
    for _ in range(50):  # processes being reaped
        if not _processes_of(clone):
            break
        time.sleep(0.2)
    assert not _processes_of(clone)
