"""Baselines for `siteaudit check`: writing one, and reading any of the three kinds.

SPEC "Command line / check": `--baseline` takes a `--write-baseline` file, a
crawl's `findings.jsonl` or the JSON that `--format json` printed; only
findings not in it count.  Findings are matched by `Finding.fingerprint()`
(page, rule and the detail that says *which* problem: target, field, text,
value), so line numbers, messages and order may change.

The format is told from the whole text, not from its first characters: it is
parsed as one JSON document first (a baseline file, the check JSON, a SARIF
log from `--format sarif`, a list of findings, or a findings.jsonl of one
line); only when that fails, as JSON lines.  Anything else is a
`BaselineFormatError` saying what is wrong.  Pure: text in, fingerprints out
(crawler/check.py reads the file).

The baseline file (`--write-baseline`), kept in the repository, so it is
stable under regeneration — no timestamps, sorted, indented for review:

    {"siteaudit_baseline": 1, "tool": {...}, "root": "public", "base_url": null,
     "fingerprints": ["3f2a…", …], "findings": [{finding}, …]}
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from checks.model import Finding
from reports.checkrun import JSON_FORMAT, CheckRun
from reports.sarif import FINGERPRINT_KEY

BASELINE_KEY = "siteaudit_baseline"
BASELINE_VERSION = 1


class BaselineFormatError(ValueError):
    """The text is no baseline of a kind siteaudit reads (message in zh-TW)."""


def baseline_document(run: CheckRun) -> dict[str, Any]:
    findings = sorted(run.all_findings, key=lambda f: (f.url, f.rule, f.fingerprint()))
    return {
        BASELINE_KEY: BASELINE_VERSION,
        "tool": {"name": "siteaudit", "version": run.tool_version},
        "root": run.root,
        "base_url": run.base_url,
        "fingerprints": sorted({f.fingerprint() for f in findings}),
        "findings": [f.to_dict() for f in findings],
    }


def baseline_text(run: CheckRun) -> str:
    return json.dumps(baseline_document(run), ensure_ascii=False, indent=2) + "\n"


def _finding(d: Any, where: str) -> Finding:
    if not isinstance(d, dict):
        raise BaselineFormatError(f"{where}不是一筆檢視結果（應為 JSON 物件）")
    missing = [k for k in ("url", "check", "rule", "severity") if k not in d]
    if missing:
        raise BaselineFormatError(f"{where}缺少欄位 {'、'.join(missing)}")
    try:
        return Finding.from_dict(d)
    except (ValueError, TypeError, AttributeError):
        raise BaselineFormatError(f"{where}的欄位值無效（severity 應為 error、warning 或 notice）") from None


def _prints(items: Iterable[Any], what: str) -> frozenset[str]:
    return frozenset(_finding(d, f"{what}第 {n} 筆").fingerprint() for n, d in enumerate(items, 1))


def _from_document(doc: Any) -> frozenset[str]:
    if isinstance(doc, list):
        return _prints(doc, "")
    if not isinstance(doc, dict):
        raise BaselineFormatError("內容是單一的 JSON 值，不是檢視結果")
    if BASELINE_KEY in doc:
        if doc[BASELINE_KEY] != BASELINE_VERSION:
            raise BaselineFormatError(f"基準檔版本 {doc[BASELINE_KEY]!r} 不是這個版本的 siteaudit 能讀的"
                                      f"（{BASELINE_VERSION}）：請以 --write-baseline 重新產生")
        prints = doc.get("fingerprints", [])
        if not isinstance(prints, list) or not all(isinstance(p, str) for p in prints):
            raise BaselineFormatError("基準檔的 fingerprints 應為字串陣列")
        return frozenset(prints) | _prints(doc.get("findings") or [], "findings ")
    if doc.get("format") == JSON_FORMAT or isinstance(doc.get("findings"), list):
        if not isinstance(doc.get("findings"), list):
            raise BaselineFormatError("--format json 的輸出缺少 findings 陣列")
        return _prints(doc["findings"], "findings ")
    if doc.get("version") == "2.1.0" and isinstance(doc.get("runs"), list):
        out = set()
        for r in doc["runs"]:
            for res in (r or {}).get("results") or ():
                fp = ((res or {}).get("partialFingerprints") or {}).get(FINGERPRINT_KEY)
                if isinstance(fp, str):
                    out.add(fp)
        return frozenset(out)
    if "url" in doc and "rule" in doc:
        return frozenset({_finding(doc, "").fingerprint()})
    raise BaselineFormatError("不是 siteaudit 的基準檔、findings.jsonl 或 --format json 的輸出")


def parse_baseline(text: str) -> frozenset[str]:
    """The fingerprints a baseline text holds (module docstring)."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return frozenset()  # a findings.jsonl of a run that found nothing
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as whole:
        return _from_json_lines(text, whole)
    return _from_document(doc)


def _from_json_lines(text: str, whole: json.JSONDecodeError) -> frozenset[str]:
    out = set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            if n == 1:
                raise BaselineFormatError(
                    f"不是完整的 JSON 文件（第 {whole.lineno} 行第 {whole.colno} 字附近有誤），"
                    "也不是每行一筆的 findings.jsonl") from None
            raise BaselineFormatError(f"findings.jsonl 第 {n} 行不是 JSON") from None
        out.add(_finding(d, f"findings.jsonl 第 {n} 行").fingerprint())
    return frozenset(out)
