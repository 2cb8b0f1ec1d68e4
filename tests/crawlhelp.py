"""Helpers for tests that crawl real HTTP servers on 127.0.0.1.

`make_site(root, pages, routes)` writes a small static site; `run_cli(...)`
runs the real `siteaudit` command in a subprocess (Scrapy's reactor starts
once per process) and returns its exit code, stdout, stderr and the output
files read back.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PAGE = """<!DOCTYPE html>
<html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
{body}
</body></html>
"""


def make_site(root: Path, pages: dict[str, str | bytes], routes: dict[str, Any] | None = None) -> Path:
    """pages: path -> body HTML (wrapped in PAGE) or raw bytes (written as is)."""
    root.mkdir(parents=True, exist_ok=True)
    for path, body in pages.items():
        fs = root / path.lstrip("/")
        if path.endswith("/"):
            fs = fs / "index.html"
        fs.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            fs.write_bytes(body)
        else:
            fs.write_text(PAGE.format(title=path, body=body), encoding="utf-8")
    if routes:
        (root / "_routes.json").write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    return root


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str
    out: Path
    findings: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    def rules(self) -> list[tuple[str, str, str]]:
        """(page path, rule, target or field) of every finding, sorted."""
        from urllib.parse import urlsplit

        out = []
        for f in self.findings:
            key = f["detail"].get("target") or f["detail"].get("field") or ""
            out.append((urlsplit(f["url"]).path, f["rule"], key))
        return sorted(out)

    def by_rule(self, rule: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["rule"] == rule]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_cli(args: list[str], out: Path | None = None, timeout: float = 180, env: dict | None = None,
            cwd: Path | None = None, launcher: Sequence[str] = ()) -> CliRun:
    """`launcher`: words put before the Python command (a shell setting a limit, say)."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run([*launcher, sys.executable, "-m", "crawler.cli", *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout, env=full_env)
    res = CliRun(proc.returncode, proc.stdout, proc.stderr, out or Path("."))
    if out is not None:
        res.findings = _read_jsonl(out / "findings.jsonl")
        res.pages = _read_jsonl(out / "pages.jsonl")
        if (out / "run.json").exists():
            res.run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return res


def crawl(url: str, out: Path, *extra: str, timeout: float = 180, launcher: Sequence[str] = ()) -> CliRun:
    return run_cli(["crawl", url, "--out", str(out), "--no-a11y", "--as-of", "2026-11-26", "--quiet",
                    "--history", str(out / "history.sqlite"), *extra], out=out, timeout=timeout,
                   launcher=launcher)
