"""The `siteaudit` command line (SPEC "Command line").

A thin layer: parse argv (argparse), build the Config (defaults < site.toml
< flags), call the audit, map results and failures to exit codes:
0 ran and nothing reached --fail-on, 1 findings at or above --fail-on,
2 bad usage or config, 3 the audit could not run.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from checks.model import Severity
from crawler.config import load_config, with_overrides
from crawler.errors import AuditCannotRun, ConfigError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage already; keep its message to one line."""

    def error(self, message):  # noqa: D401
        self.exit(EXIT_USAGE, f"siteaudit: 用法錯誤：{message}（siteaudit --help 看說明）\n")


def _as_of(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: 日期應為 YYYY-MM-DD（收到 {text!r}）") from None


def _severity(text: str | None) -> Severity | None:
    if text is None:
        return None
    try:
        return Severity.parse(text)
    except ValueError:
        raise UsageError(f"--fail-on: 應為 error、warning 或 notice（收到 {text!r}）") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="siteaudit", description="政府網站檢視工具：失效連結、詮釋資料、逾期未更新、引用出處、ODF 附件、無障礙 AA")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("crawl", help="檢視整個網站（每月例行檢視）")
    c.add_argument("url", nargs="?", help="起始網址（可省略，改用設定檔 start_urls）")
    c.add_argument("--config", help="site.toml 設定檔")
    c.add_argument("--out", default="audit", help="輸出目錄（預設 ./audit）")
    c.add_argument("--as-of", help="檢視基準日 YYYY-MM-DD（預設今天）")
    c.add_argument("--max-pages", type=int)
    c.add_argument("--concurrency", type=int)
    c.add_argument("--no-a11y", action="store_true", help="略過無障礙檢測（不需瀏覽器）")
    c.add_argument("--no-external", action="store_true", help="不檢查外部連結")
    c.add_argument("--resume", action="store_true", help="從中斷處繼續（同一個 --out）")
    c.add_argument("--fail-on", help="error|warning|notice：有此等級以上的問題時結束代碼為 1")
    c.add_argument("--history", help="歷史紀錄 SQLite 檔（預設見 README）")
    c.add_argument("--quiet", action="store_true", help="不顯示進度")

    k = sub.add_parser("check", help="發布前檢查指定網頁（不遞迴）")
    k.add_argument("targets", nargs="+", metavar="TARGET", help="網址、.html 檔或目錄")
    k.add_argument("--config")
    k.add_argument("--base-url", help="本機根目錄對應的正式網址")
    k.add_argument("--fail-on", default="error", help="error|warning|notice（預設 error）")
    k.add_argument("--baseline", help="先前的 findings.jsonl：只計算新出現的問題")
    k.add_argument("--junit", help="寫出 JUnit XML")
    k.add_argument("--format", choices=("text", "json"), default="text")
    k.add_argument("--as-of", help="檢視基準日 YYYY-MM-DD（預設今天）")
    k.add_argument("--no-a11y", action="store_true")

    d = sub.add_parser("demo", help="以內附的範例分局網站示範完整檢視")
    d.add_argument("--out", default="audit-demo")
    d.add_argument("--no-a11y", action="store_true")
    d.add_argument("--as-of", help="檢視基準日 YYYY-MM-DD（預設今天）")
    return p


def _print_result(result, out_dir: Path) -> None:
    from crawler.audit import eprint

    by_sev = {s: 0 for s in Severity}
    for f in result.findings:
        by_sev[f.severity] += 1
    eprint(f"完成：{result.pages} 頁，問題 {len(result.findings)} 項"
           f"（錯誤 {by_sev[Severity.error]}、警告 {by_sev[Severity.warning]}、提示 {by_sev[Severity.notice]}）")
    for note in result.notes:
        eprint(f"注意：{note}")


def cmd_crawl(args) -> int:
    from crawler.audit import run_audit

    fail_on = _severity(args.fail_on)
    as_of = _as_of(args.as_of)
    cfg = with_overrides(load_config(args.config), start_url=args.url, max_pages=args.max_pages,
                         concurrency=args.concurrency, no_external=args.no_external, no_a11y=args.no_a11y)
    out = Path(args.out)
    history = Path(args.history) if args.history else _default_history(out)
    result = run_audit(cfg, out, as_of, resume=args.resume, progress=not args.quiet, history_path=history)
    _print_result(result, out)
    print(out / "report.html")
    if not result.complete:
        return EXIT_CANNOT_RUN
    if fail_on is not None and result.worst() is not None and result.worst() >= fail_on:
        return EXIT_FINDINGS
    return EXIT_OK


def _default_history(out: Path) -> Path:
    from reports.history import default_history_path

    return default_history_path(out)


def cmd_demo(args) -> int:
    from crawler.demo import run_demo

    result = run_demo(Path(args.out), no_a11y=args.no_a11y, as_of=_as_of(args.as_of))
    _print_result(result, Path(args.out))
    print((Path(args.out) / "report.html").resolve())
    return EXIT_OK


def cmd_check(args) -> int:
    from crawler.precheck import run_check

    return run_check(args, fail_on=_severity(args.fail_on), as_of=_as_of(args.as_of))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        handler = {"crawl": cmd_crawl, "check": cmd_check, "demo": cmd_demo}[args.command]
        return handler(args)
    except (ConfigError, UsageError) as e:
        print(f"siteaudit: {e}", file=sys.stderr)
        return EXIT_USAGE
    except AuditCannotRun as e:
        print(f"siteaudit: 無法執行檢視：{e}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("siteaudit: 已中斷", file=sys.stderr)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
