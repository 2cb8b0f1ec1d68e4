"""The documented monthly schedules (issue 5, issue 14): the cron line, the systemd
service + timer and the CI schedule run the command they show, for real,
against a loopback site, and the second month's report compares with the first;
after the crawl, `siteaudit notify` mails each unit its list to a real SMTP
server on loopback (aiosmtpd), once."""
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


NOTIFY = " && ./.venv/bin/siteaudit notify "


def _cron_command() -> str:
    line = next(ln for ln in (DOCS / "siteaudit.cron").read_text(encoding="utf-8").splitlines()
                if ln.strip() and not ln.startswith("#"))
    fields = line.split(None, 6)
    assert fields[:5] == ["30", "2", "1", "*", "*"] and fields[5] == "siteaudit"
    # cron turns \% into %; the rest is what /bin/sh runs
    return fields[6].replace("\\%", "%").replace("cd /srv/siteaudit && ", "")


def _notify_wired() -> bool:
    """`siteaudit notify` exists in the CLI and site.toml may hold [notify] and [[units]]."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "crawler.cli", "notify", "--help"], env=env, capture_output=True)
    if res.returncode != 0:
        return False
    from crawler.config import parse_config
    try:
        parse_config({"notify": {"sender": "a@example.gov.tw"}, "units": [{"name": "甲", "email": "a@example.gov.tw"}]})
    except Exception:  # noqa: BLE001 - any refusal means "not wired yet"
        return False
    return True


def test_cron_line_runs_and_history_compares_months(tmp_path, install_dir):
    full = _cron_command()
    assert NOTIFY in full  # crawl, then notify when the crawl succeeded
    command = full.split(NOTIFY, 1)[0]
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
    i = next(n for n, ln in enumerate(lines) if "# siteaudit-schedule-command" in ln)
    command = lines[i + 1].split("run:", 1)[1].strip()
    assert command.startswith("siteaudit crawl")
    root = make_site(tmp_path / "site", {"/": "首頁"})
    with serve(root) as srv:
        (install_dir / "site.toml").write_text(
            f'[site]\nstart_urls = ["{srv.url("/")}"]\n[accessibility]\nenabled = false\n', encoding="utf-8")
        res = _run_shell(".venv/bin/" + command, install_dir)
    assert res.returncode == 0, res.stderr
    assert (install_dir / "audits" / "monthly" / "summary.xlsx").exists()


@pytest.mark.skipif(not _notify_wired(), reason="crawler/cli.py has no `notify` subcommand or config has no "
                    "[notify]/[[units]] yet (the integrator wires crawler.notify.run_notify)")
def test_cron_line_crawls_then_mails_each_unit_once(tmp_path, install_dir):
    import email
    import email.policy
    import socket

    aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="needs aiosmtpd (test dependency)")

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    smtp = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    stale = '<p>更新日期：2020-01-01</p><a href="/news/a.html">a</a>'
    root = make_site(tmp_path / "site", {"/": stale, "/news/a.html": "<p>更新日期：2020-01-01</p>"})
    try:
        with serve(root) as srv:
            (install_dir / "site.toml").write_text(
                f'[site]\nname = "測試"\nstart_urls = ["{srv.url("/")}"]\n[accessibility]\nenabled = false\n'
                f'[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsender = "webmaster@example.gov.tw"\n'
                '[[sections]]\npath = "/news/"\nname = "最新消息"\nunit = "秘書室"\n'
                '[[units]]\nname = "秘書室"\nemail = "secretariat@example.gov.tw"\n', encoding="utf-8")
            res = _run_shell(_cron_command(), install_dir)
            assert res.returncode == 0, res.stderr
            assert [m["To"] for m in inbox.messages] == ["secretariat@example.gov.tw"]
            assert "秘書室網頁檢視清單" in inbox.messages[0]["Subject"]
            assert [a.get_filename() for a in inbox.messages[0].iter_attachments()] == ["秘書室.xlsx"]
            # cron runs again the same month (a retry): the unit is not mailed twice
            notify_part = "./.venv/bin/siteaudit notify " + _cron_command().split(NOTIFY, 1)[1]
            again = _run_shell(notify_part, install_dir)
            assert again.returncode == 0, again.stderr
            assert len(inbox.messages) == 1
    finally:
        smtp.stop()


def test_systemd_and_ci_run_notify_after_the_crawl():
    service = (DOCS / "siteaudit.service").read_text(encoding="utf-8")
    post = re.search(r"^ExecStartPost=/bin/sh -c '(.+)'$", service, re.M).group(1).replace("%%", "%")
    assert post.startswith("exec ./.venv/bin/siteaudit notify ") and "--config site.toml" in post
    assert "audits/$(date +%Y-%m)" in post  # the folder the crawl just wrote
    assert "SITEAUDIT_SMTP_PASSWORD" in service and "EnvironmentFile=" in service
    ci = (DOCS / "github-schedule.yml").read_text(encoding="utf-8").splitlines()
    i = next(n for n, ln in enumerate(ci) if "# siteaudit-notify-command" in ln)
    assert ci[i + 1].split("run:", 1)[1].strip() == "siteaudit notify audits/monthly --config site.toml"
    assert any("secrets.SITEAUDIT_SMTP_PASSWORD" in ln for ln in ci[i - 3:i])
