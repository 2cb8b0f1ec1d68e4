"""The documented monthly schedules (issue 5): the cron line, the systemd
service + timer and the CI schedule run the command they show, for real,
against a loopback site, and the second month's report compares with the first."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.siteserver import serve
from crawlhelp import ROOT, make_site

DOCS = ROOT / "docs" / "schedule"


@pytest.fixture()
def install_dir(tmp_path):
    """A /srv/siteaudit look-alike: .venv/bin/siteaudit, site.toml, logs/."""
    d = tmp_path / "srv"
    (d / ".venv" / "bin").mkdir(parents=True)
    (d / "logs").mkdir()
    exe = d / ".venv" / "bin" / "siteaudit"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} -m crawler.cli \"$@\"\n", encoding="utf-8")
    exe.chmod(0o755)
    return d


def _run_shell(cmd: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(["/bin/sh", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def _site(tmp_path, install_dir, body: str):
    root = make_site(tmp_path / "site", {"/": body})
    return root


def test_cron_line_runs_and_history_compares_months(tmp_path, install_dir):
    line = next(l for l in (DOCS / "siteaudit.cron").read_text(encoding="utf-8").splitlines()
                if l.strip() and not l.startswith("#"))
    fields = line.split(None, 6)
    assert fields[:5] == ["30", "2", "1", "*", "*"] and fields[5] == "siteaudit"
    # cron turns \% into %; the rest is what /bin/sh runs
    command = fields[6].replace("\\%", "%").replace("cd /srv/siteaudit && ", "")
    root = make_site(tmp_path / "site", {"/": '<a href="/a.html">a</a>', "/a.html": "a"})
    with serve(root) as srv:
        (install_dir / "site.toml").write_text(
            f'[site]\nname = "測試"\nstart_urls = ["{srv.url("/")}"]\n[accessibility]\nenabled = false\n',
            encoding="utf-8")
        first = _run_shell(command, install_dir)
        assert first.returncode == 0, first.stderr
        month = subprocess.run(["date", "+%Y-%m"], capture_output=True, text=True).stdout.strip()
        assert (install_dir / "audits" / month / "report.html").exists()
        assert (install_dir / "audits" / ".siteaudit-history.sqlite").exists()
        # next month: a link broke; the report says what is new since last time
        (root / "a.html").unlink()
        shutil.move(install_dir / "audits" / month, install_dir / "audits" / "previous")
        second = _run_shell(command, install_dir)
        assert second.returncode == 0, second.stderr
        html = (install_dir / "audits" / month / "report.html").read_text(encoding="utf-8")
        assert "上次檢視" in html  # compared with the first month
    log = (install_dir / "logs" / "siteaudit.log").read_text(encoding="utf-8")
    assert "report.html" in log


def test_systemd_units(tmp_path, install_dir):
    service = (DOCS / "siteaudit.service").read_text(encoding="utf-8")
    timer = (DOCS / "siteaudit.timer").read_text(encoding="utf-8")
    cal = re.search(r"^OnCalendar=(.+)$", timer, re.M).group(1)
    if shutil.which("systemd-analyze"):
        out = subprocess.run(["systemd-analyze", "calendar", cal], capture_output=True, text=True)
        assert out.returncode == 0 and "-01 02:30:00" in out.stdout
    exec_start = re.search(r"^ExecStart=/bin/sh -c '(.+)'$", service, re.M).group(1).replace("%%", "%")
    root = make_site(tmp_path / "site", {"/": "首頁"})
    with serve(root) as srv:
        (install_dir / "site.toml").write_text(
            f'[site]\nstart_urls = ["{srv.url("/")}"]\n[accessibility]\nenabled = false\n', encoding="utf-8")
        res = _run_shell(exec_start.replace("exec ", "", 1), install_dir)
    assert res.returncode == 0, res.stderr
    assert list((install_dir / "audits").glob("*/summary.ods"))


def test_ci_schedule_command(tmp_path, install_dir):
    text = (DOCS / "github-schedule.yml").read_text(encoding="utf-8")
    lines = text.splitlines()
    i = next(n for n, l in enumerate(lines) if "# siteaudit-schedule-command" in l)
    command = lines[i + 1].split("run:", 1)[1].strip()
    assert command.startswith("siteaudit crawl")
    root = make_site(tmp_path / "site", {"/": "首頁"})
    with serve(root) as srv:
        (install_dir / "site.toml").write_text(
            f'[site]\nstart_urls = ["{srv.url("/")}"]\n[accessibility]\nenabled = false\n', encoding="utf-8")
        res = _run_shell(".venv/bin/" + command, install_dir)
    assert res.returncode == 0, res.stderr
    assert (install_dir / "audits" / "monthly" / "summary.xlsx").exists()
