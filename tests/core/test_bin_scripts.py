"""The scripts a newcomer runs: ``bin/run`` installs no system package (the browser tests'
Chromium is ``bin/test``'s), and ``bin/stop`` ends everything ``bin/run`` started — each process
with its children — and the embedded PostgreSQL, leaving no process behind."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_INSTALL = re.compile(r"\b(apt-get|apt|dpkg|yum|dnf|brew|sudo)\b")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _running(pid: int) -> bool:
    """Alive and not a zombie (Linux's /proc)."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _group(pgid: int) -> list[int]:
    """Every live process of a process group."""
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return [pid for pid in pids if (stat := _stat(pid)) and int(stat[2]) == pgid and stat[0] != "Z"]


def _script_lines(name: str) -> list[str]:
    return [line for line in (ROOT / "bin" / name).read_text().splitlines()
            if not line.lstrip().startswith("#")]  # fmt: skip


def test_bin_run_and_what_it_calls_install_no_system_package():
    for script in ("run", "setup"):
        assert not [line for line in _script_lines(script) if SYSTEM_INSTALL.search(line)], script
    for package in ("chromium", "pgbouncer"):  # bin/test's business, for the tests that need it
        assert any(f"apt-get install -y {package}" in line for line in _script_lines("test"))


def _env(var: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    return {**env, "RAPPORT_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "agency.settings.dev",
            **extra}  # fmt: skip


def test_bin_stop_ends_every_started_process_group_and_the_embedded_postgresql(tmp_path):
    var = tmp_path / "var"
    (var / "run").mkdir(parents=True)
    # What bin/run leaves behind: process-group leaders (with children) listed in rapport.pids,
    # and an embedded PostgreSQL started by the first Django process.
    subprocess.run([".venv/bin/python", "manage.py", "check"], cwd=ROOT, env=_env(var),
                   check=True, capture_output=True)  # fmt: skip
    postgres = int((var / "pgdata" / "postmaster.pid").read_text().split()[0])
    jobs = [
        subprocess.Popen(["sh", "-c", "sleep 300 & sleep 300; wait"], start_new_session=True)
        for _ in range(2)
    ]
    (var / "run" / "rapport.pids").write_text("".join(f"{job.pid}\n" for job in jobs))
    deadline = time.monotonic() + 10  # each shell forks its two sleeps (late on a busy machine)
    while len(started := [pid for job in jobs for pid in _group(job.pid)]) < 6:
        assert time.monotonic() < deadline, started
        time.sleep(0.05)
    assert len(started) == 6 and _running(postgres)  # two shells with two sleeps each

    result = subprocess.run(["bin/stop"], cwd=ROOT, env=_env(var), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Embedded PostgreSQL stopped." in result.stdout
    for job in jobs:
        job.wait(timeout=10)
    assert not [pid for pid in [*started, postgres] if _running(pid)]
    assert not (var / "run" / "rapport.pids").exists()
