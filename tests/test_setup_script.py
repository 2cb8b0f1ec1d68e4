"""The install recipe itself (issue 9 must-have 1): tools/setup-system.sh.

`make demo` and `make test` once stopped on every fresh machine with
`DEBIAN_FRONTEND=noninteractive: not found` (as root `$SUDO` was empty and
the variable assignment became the command name), and CI never saw it because
its machine had Chromium already.  Here the recipe runs with stub `apt-get`,
`sudo`, `npm`, `id` and `fc-list` first on PATH and the browser reported
missing, as root and as a user with or without sudo, and the exact commands
it would run are asserted.  Nothing is installed.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from crawlhelp import ROOT

SCRIPT = ROOT / "tools" / "setup-system.sh"
REQUIRED = "chromium chromium-driver fonts-wqy-microhei fontconfig"
EXTRAS = "libreoffice-calc-nogui poppler-utils redis-server"
INSTALL = "install -y -qq --no-install-recommends"


def _stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)


def _run(tmp_path: Path, *, uid: int, sudo: bool = True, npm: bool = True, fonts: bool = False,
         present: bool = False, fail_for: str = "", target: str = "test") -> tuple[int, list[str], str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "commands.log"
    # every stub writes its own command line (and the DEBIAN_FRONTEND it saw) to the log
    _stub(bin_dir, "apt-get", f'echo "apt-get $* [DEBIAN_FRONTEND=${{DEBIAN_FRONTEND:-}}]" >> {log}\n'
                              + (f'case "$*" in *{fail_for}*) exit 100;; esac\n' if fail_for else "") + "exit 0\n")
    _stub(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}\n')
    _stub(bin_dir, "fc-list", 'echo "/usr/share/fonts/wqy.ttc: WenQuanYi Micro Hei"\n' if fonts else "exit 0\n")
    if sudo:
        _stub(bin_dir, "sudo", f'echo "sudo $*" >> {log}\nexec "$@"\n')
    if npm:
        _stub(bin_dir, "npm", "exit 0\n")
    exe = tmp_path / "exe"
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    where = str(exe) if present else str(tmp_path / "missing")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "CHROMIUM": where, "CHROMEDRIVER": where,
           "LO_CALC": where, "PDFINFO": where, "REDIS_SERVER": where,
           "NPM": str(bin_dir / "npm") if npm else str(tmp_path / "no-npm"),
           # never the machine's own sudo: it would run the real apt-get
           "SUDO": str(bin_dir / "sudo") if sudo else str(tmp_path / "no-sudo")}
    proc = subprocess.run(["sh", str(SCRIPT), target], env=env, capture_output=True, text=True, timeout=60)
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return proc.returncode, lines, proc.stderr


def test_as_root_apt_get_runs_directly(tmp_path):
    code, lines, err = _run(tmp_path, uid=0)
    assert code == 0, err
    assert lines == [
        "apt-get update -qq [DEBIAN_FRONTEND=]",
        f"apt-get {INSTALL} {REQUIRED} {EXTRAS} [DEBIAN_FRONTEND=noninteractive]",
    ]


def test_as_a_user_with_sudo(tmp_path):
    code, lines, err = _run(tmp_path, uid=1000)
    assert code == 0, err
    assert lines == [
        "sudo apt-get update -qq",
        "apt-get update -qq [DEBIAN_FRONTEND=]",
        f"sudo env DEBIAN_FRONTEND=noninteractive apt-get {INSTALL} {REQUIRED} {EXTRAS}",
        f"apt-get {INSTALL} {REQUIRED} {EXTRAS} [DEBIAN_FRONTEND=noninteractive]",
    ]


def test_demo_needs_only_the_browser_and_a_font(tmp_path):
    code, lines, err = _run(tmp_path, uid=0, target="demo")
    assert code == 0, err
    assert lines[-1] == f"apt-get {INSTALL} {REQUIRED} [DEBIAN_FRONTEND=noninteractive]"


def test_npm_missing_is_installed_too(tmp_path):
    code, lines, err = _run(tmp_path, uid=0, npm=False, target="demo")
    assert code == 0, err
    assert lines[-1] == f"apt-get {INSTALL} {REQUIRED} npm [DEBIAN_FRONTEND=noninteractive]"


def test_nothing_to_do_when_everything_is_there(tmp_path):
    code, lines, err = _run(tmp_path, uid=1000, fonts=True, present=True)
    assert (code, lines, err) == (0, [], "")


def test_without_sudo_one_chinese_line_says_what_to_run(tmp_path):
    code, lines, err = _run(tmp_path, uid=1000, sudo=False)
    assert code == 1 and lines == []
    last = err.strip().splitlines()[-1]
    assert last.startswith("siteaudit：無法自動安裝") and f"sudo apt-get install -y {REQUIRED} npm" not in last
    assert f"sudo apt-get install -y {REQUIRED}" in last


@pytest.mark.parametrize("uid", [0, 1000])
def test_extras_one_by_one_when_the_batch_fails(tmp_path, uid):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    _stub(bin_dir, "apt-get", f'echo "$*" >> {log}\ncase "$*" in *redis-server*) exit 100;; esac\nexit 0\n')
    _stub(bin_dir, "id", f'echo {uid}\n')
    _stub(bin_dir, "sudo", 'exec "$@"\n')
    _stub(bin_dir, "npm", "exit 0\n")
    _stub(bin_dir, "fc-list", 'echo "WenQuanYi Micro Hei"\n')
    exe = tmp_path / "exe"
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CHROMIUM": str(exe), "CHROMEDRIVER": str(exe),
           "LO_CALC": str(tmp_path / "no"), "PDFINFO": str(tmp_path / "no"), "REDIS_SERVER": str(tmp_path / "no")}
    proc = subprocess.run(["sh", str(SCRIPT), "test"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    installs = [line for line in log.read_text().splitlines() if line.startswith("install")]
    assert installs == [f"{INSTALL} {EXTRAS}", f"{INSTALL} libreoffice-calc-nogui", f"{INSTALL} poppler-utils",
                        f"{INSTALL} redis-server"]
    assert "redis-server" in proc.stderr.splitlines()[-1] and "略過" in proc.stderr


def test_the_makefile_calls_the_recipe(tmp_path):
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "sh tools/setup-system.sh demo" in text and "sh tools/setup-system.sh test" in text
    out = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "MAKEFLAGS": ""}).stdout
    assert "tools/setup-system.sh demo" in out and "siteaudit demo" in out
