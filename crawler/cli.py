"""The `siteaudit` command line (SPEC "Command line").

A thin layer: argv -> a typed options object per command (dataclasses) ->
the command's function -> one `ExitCode`.  `main()` is the only place that
turns results and failures into exit codes (crawler/errors.py):
0 ran and nothing reached --fail-on, 1 findings at or above --fail-on,
2 bad usage or config, 3 the audit could not run or is incomplete.  Every
failure a person can cause ends in one Traditional Chinese line on stderr,
never a traceback.

Everything a person reads is Traditional Chinese, argparse's own words too
("usage:", "the following arguments are required", …).  argparse has no
gettext domain of its own: it calls the process-wide `gettext.gettext`,
whose catalogue is looked up on disk by $LANGUAGE/$LANG, so a CI job with
LANG=C would get English.  Instead `argparse_in_chinese()` gives argparse a
gettext translation object built here from a small catalogue
(`ARGPARSE_ZH`, every message argparse defines: tests/test_cli.py reads
argparse's source and fails on any it lacks), for the time a parser is
built and used.
"""
from __future__ import annotations

import argparse
import contextlib
import gettext
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from checks.model import Severity
from crawler.errors import AuditCannotRun, AuditInterrupted, ConfigError, ExitCode, UsageError

# ---- argparse in Traditional Chinese ---------------------------------------------

ARGPARSE_ZH: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "位置參數",
    "options": "選項",
    "optional arguments": "選項",
    "show this help message and exit": "顯示這段說明後結束",
    "show program's version number and exit": "顯示版本後結束",
    "%(prog)s: error: %(message)s\n": "%(prog)s：錯誤：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "參數 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必要的參數：%s",
    "one of the arguments %s is required": "必須給 %s 其中之一",
    "unrecognized arguments: %s": "無法辨識的參數：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "無效的選項值 %(value)r（可選：%(choices)s）",
    "expected one argument": "需要一個值",
    "expected at most one argument": "最多只能有一個值",
    "expected at least one argument": "至少需要一個值",
    "invalid %(type)s value: %(value)r": "無效的 %(type)s 值：%(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "選項 %(option)s 不明確，可能是 %(matches)s",
    "not allowed with argument %s": "不可與參數 %s 同時使用",
    "ignored explicit argument %r": "這個選項不接受值：%r",
    "unexpected option string: %s": "未預期的選項：%s",
    "can't open '%(filename)s': %(error)s": "無法開啟 '%(filename)s'：%(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "沒有子命令 %(parser_name)r（可選：%(choices)s）",
    "argument \"-\" with mode %r": "參數「-」不能用於模式 %r",
    "%r is not callable": "%r 不是可呼叫的物件",
    # Errors in how a parser is defined (a defect of siteaudit, never of its user).
    ".__call__() not defined": ".__call__() 未定義",
    "'required' is an invalid argument for positionals": "位置參數不能設定 'required'",
    "mutually exclusive arguments must be optional": "互斥的參數必須是選項",
    "cannot merge actions - two groups are named %r": "無法合併參數：兩個群組都叫 %r",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r":
        "無效的選項字串 %(option)r：必須以 %(prefix_chars)r 開頭",
    "dest= is required for options like %r": "像 %r 這樣的選項需要 dest=",
    "invalid conflict_resolution value: %r": "無效的 conflict_resolution 值：%r",
    "cannot have multiple subparser arguments": "不能有多組子命令",
    "conflicting subparser: %s": "子命令重複：%s",
    "conflicting subparser alias: %s": "子命令別名重複：%s",
}
ARGPARSE_ZH_PLURAL: dict[str, str] = {
    "expected %s argument": "需要 %s 個值",
    "conflicting option string: %s": "選項字串重複：%s",
}


class ChineseCatalog(gettext.NullTranslations):
    """A gettext translation whose catalogue is a dict built in code.

    Traditional Chinese has one plural form (`nplurals=1; plural=0`): every
    ngettext() message has one translation."""

    def __init__(self, messages: dict[str, str], plurals: dict[str, str]):
        super().__init__()
        self._messages = messages
        self._plurals = plurals

    def gettext(self, message: str) -> str:
        return self._messages.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        if msgid1 in self._plurals:
            return self._plurals[msgid1]
        return msgid1 if n == 1 else msgid2


ZH = ChineseCatalog(ARGPARSE_ZH, ARGPARSE_ZH_PLURAL)


@contextlib.contextmanager
def argparse_in_chinese() -> Iterator[None]:
    """argparse's two gettext entry points (`_`, `ngettext`) answer from `ZH`
    while parsers are built and used (module docstring)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = ZH.gettext, ZH.ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class ParserExit(Exception):
    """argparse wants to end the program (help printed, or a usage error):
    `main()` returns the code instead of argparse calling sys.exit."""

    def __init__(self, status: int, message: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message


class Parser(argparse.ArgumentParser):
    """Usage errors are one line naming the problem, and never sys.exit."""

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise ParserExit(status, message or "")

    def error(self, message: str) -> NoReturn:
        raise ParserExit(ExitCode.USAGE, f"{self.prog}：用法錯誤：{message}（{self.prog} --help 可看說明）\n")


# ---- argument types: a bad value is a one-line usage error -----------------------------

def _int_between(low: int, high: int | None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"應為整數（收到 {text!r}）") from None
        if value < low or (high is not None and value > high):
            span = f"{low} 到 {high} 的" if high is not None else f"{low} 以上的"
            raise argparse.ArgumentTypeError(f"應為 {span}整數（收到 {value}）")
        return value

    parse.__name__ = "整數"
    return parse


def as_of_date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期應為 YYYY-MM-DD（收到 {text!r}）") from None
    if not 1990 <= value.year <= 2100:
        raise argparse.ArgumentTypeError(f"日期應在 1990 到 2100 年之間（收到 {text}）")
    return value


as_of_date.__name__ = "日期"
LEVELS = ("error", "warning", "notice")


def _web_url(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        from crawler.local import check_web_url

        try:
            return check_web_url(text, what)
        except UsageError as e:
            raise argparse.ArgumentTypeError(str(e).split("：", 1)[1]) from None

    parse.__name__ = "網址"
    return parse


def queue_url(text: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise argparse.ArgumentTypeError(f"無法解析的佇列網址 {text!r}") from None
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise argparse.ArgumentTypeError(f"應為 redis://主機:連接埠/資料庫編號（收到 {text!r}）")
    return text


queue_url.__name__ = "佇列網址"


# ---- typed options per command ------------------------------------------------------

@dataclass(frozen=True)
class CrawlOptions:
    url: str | None
    as_of: date
    config: Path | None = None
    out: Path = Path("audit")
    max_pages: int | None = None
    concurrency: int | None = None
    no_a11y: bool = False
    no_external: bool = False
    resume: bool = False
    fail_on: Severity | None = None
    queue: str | None = None
    history: Path | None = None
    quiet: bool = False
    keep_state: bool = False


@dataclass(frozen=True)
class WorkerOptions:
    queue: str
    no_a11y: bool = False
    browsers: int | None = None


@dataclass(frozen=True)
class NotifyOptions:
    audit_dir: Path
    config: Path | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class DemoOptions:
    out: Path
    as_of: date
    no_a11y: bool = False


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def build_parser() -> Parser:
    """The whole command line (SPEC "Command line"); build it inside
    `argparse_in_chinese()` so argparse's own words are Chinese too."""
    p = Parser(prog="siteaudit",
               description="政府網站檢視工具：失效連結、詮釋資料、逾期未更新、引用出處、ODF 附件、無障礙 AA。")
    p.add_argument("--version", action="store_true", help="顯示 siteaudit、axe-core 與瀏覽器的版本後結束")
    sub = p.add_subparsers(dest="command", title="子命令", metavar="子命令", parser_class=Parser)

    def common(c: argparse.ArgumentParser) -> None:
        c.add_argument("--as-of", type=as_of_date, metavar="YYYY-MM-DD",
                       help="檢視基準日，判斷逾期未更新用（預設今天；可重現先前的檢視）")
        c.add_argument("--no-a11y", action="store_true", help="略過無障礙檢測（不需要瀏覽器）")

    c = sub.add_parser("crawl", help="檢視整個網站（每月例行檢視）",
                       description="從起始網址走訪網站內每一頁，執行所有檢查並寫出報告。")
    c.add_argument("url", nargs="?", type=_web_url("起始網址"), metavar="URL",
                   help="起始網址（可省略，改用設定檔 [site] start_urls）")
    c.add_argument("--config", metavar="site.toml", help="設定檔（預設值見 README）")
    c.add_argument("--out", default="audit", metavar="DIR", help="輸出目錄（預設 ./audit）")
    c.add_argument("--max-pages", type=_int_between(0, None), metavar="N", help="最多檢視幾頁（0 表示不限）")
    c.add_argument("--concurrency", type=_int_between(1, 256), metavar="N", help="同時連線數（1 到 256）")
    c.add_argument("--no-external", action="store_true", help="不檢查連到其他網站的連結")
    c.add_argument("--resume", action="store_true", help="從中斷處繼續（同一個 --out）")
    c.add_argument("--fail-on", choices=LEVELS, metavar="LEVEL",
                   help="有 error、warning 或 notice 以上的問題時，結束代碼為 1（預設不因問題而失敗）")
    c.add_argument("--queue", type=queue_url, metavar="redis://HOST:PORT/DB",
                   help="把待檢視的網址放在 Redis 佇列，由多個 siteaudit worker 分工")
    c.add_argument("--history", metavar="FILE", help="歷史紀錄 SQLite 檔，用於和上次比較（預設見 README）")
    c.add_argument("--quiet", action="store_true", help="不顯示進度")
    c.add_argument("--keep-state", action="store_true",
                   help="檢視完成後保留輸出目錄中的工作資料（預設刪除；中斷或未完成時一律保留，以便 --resume）")
    common(c)

    k = sub.add_parser("check", help="發布前檢查指定的網頁（不遞迴）",
                       description="只檢查指定的網頁：網址、本機 .html 檔或其目錄；適合在 CI 或 pre-commit 把關。")
    k.add_argument("targets", nargs="+", metavar="TARGET", help="網址、.html 檔或目錄（目錄內的 .html/.htm 都會檢查）")
    k.add_argument("--config", metavar="site.toml", help="設定檔")
    k.add_argument("--root", metavar="DIR",
                   help="網站的文件根目錄：/x 指 DIR/x（預設：目標所在、含 index.html 的最上層目錄，"
                        "不超出 git 工作目錄）")
    k.add_argument("--base-url", type=_web_url("--base-url"), metavar="URL",
                   help="文件根目錄在正式網站的網址；磁碟上沒有的檔案改到正式網站檢查")
    k.add_argument("--fail-on", choices=LEVELS, default="error", metavar="LEVEL",
                   help="有 error、warning 或 notice 以上的問題時，結束代碼為 1（預設 error）")
    k.add_argument("--baseline", metavar="FILE",
                   help="基準檔（--write-baseline 寫的檔、findings.jsonl 或 --format json 的輸出）：只計算新出現的問題")
    k.add_argument("--write-baseline", metavar="FILE", help="把這次找到的問題寫成基準檔，結束代碼為 0")
    k.add_argument("--junit", metavar="FILE", help="另寫出 JUnit XML 測試報告（CI 的測試檢視用）")
    k.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text",
                   help="輸出格式：text 每個問題一行（預設）、json、sarif（程式碼掃描）、github（GitHub Actions 註記）")
    k.add_argument("--quiet", action="store_true", help="不顯示各階段的進度（只有在終端機執行時才會顯示）")
    common(k)

    n = sub.add_parser("notify", help="把檢視結果寄給各權責單位",
                       description="依權責劃分表，寄給每個單位它的清單與試算表。")
    n.add_argument("audit_dir", metavar="AUDIT_DIR", help="一次完成的檢視的輸出目錄")
    n.add_argument("--config", metavar="site.toml", help="設定檔（[notify] 寄件設定、[[units]] 收件地址）")
    n.add_argument("--dry-run", action="store_true", help="不寄出，改把郵件寫成 AUDIT_DIR/mail/ 下的 .eml 檔")

    w = sub.add_parser("worker", help="分散檢視的工作程序",
                       description="從 Redis 佇列領取網址，抓取、做無障礙檢測並回報。")
    w.add_argument("--queue", required=True, type=queue_url, metavar="redis://HOST:PORT/DB",
                   help="crawl --queue 用的同一個佇列")
    w.add_argument("--browsers", type=_int_between(1, 32), metavar="N", help="同時開幾個瀏覽器做無障礙檢測")
    w.add_argument("--no-a11y", action="store_true", help="略過無障礙檢測（不需要瀏覽器）")

    d = sub.add_parser("demo", help="以內附的範例分局網站示範完整檢視",
                       description="在本機啟動範例網站並檢視它，不需要網路與設定。")
    d.add_argument("--out", default="audit-demo", metavar="DIR", help="輸出目錄（預設 ./audit-demo）")
    common(d)
    return p


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    with argparse_in_chinese():
        return build_parser().parse_args(argv)


# ---- commands ---------------------------------------------------------------------

def eprint(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def version_lines() -> list[str]:
    """Tool, axe-core and browser versions (SPEC "--version"); "未安裝" for what
    is missing.  Quick without Chromium: nothing is started then."""
    from crawler import a11y
    from crawler.check import tool_version

    axe = a11y.axe_version() or "未安裝"
    browser = a11y.browser_version() if os.access(a11y.CHROMIUM, os.X_OK) else ""
    return [f"siteaudit 版本：{tool_version()}", f"axe-core（無障礙檢測）：{axe}", f"瀏覽器：{browser or '未安裝'}"]


def os_reason(e: OSError) -> str:
    from crawler.local import os_reason as reason

    return reason(e)


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path} 已存在且不是目錄")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AuditCannotRun(f"無法建立輸出目錄 {path}（{os_reason(e)}）") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise AuditCannotRun(f"輸出目錄 {path} 無法寫入（權限不足）")
    return path


def _print_result(result: Any) -> None:
    by_sev = {s: 0 for s in Severity}
    for f in result.findings:
        by_sev[f.severity] += 1
    eprint(f"完成：{result.pages} 頁，問題 {len(result.findings)} 項"
           f"（錯誤 {by_sev[Severity.error]}、警告 {by_sev[Severity.warning]}、提示 {by_sev[Severity.notice]}）")
    for note in result.notes:
        eprint(f"注意：{note}")


def _lazy(module: str, name: str, feature: str) -> Callable[..., Any]:
    """A function another part of siteaudit provides, imported when used: a
    build without it exits 3 with one line instead of a traceback."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as e:
        if e.name and (module == e.name or module.startswith(e.name + ".")):
            raise AuditCannotRun(f"這個版本的 siteaudit 沒有{feature}功能（缺少 {module}）") from None
        raise AuditCannotRun(f"{feature}需要的套件 {e.name} 沒有安裝：請執行 make setup") from None
    except AttributeError:
        raise AuditCannotRun(f"這個版本的 siteaudit 沒有{feature}功能（{module} 沒有 {name}）") from None


def cmd_crawl(opts: CrawlOptions) -> ExitCode:
    from crawler.config import load_config, with_overrides

    cfg = with_overrides(load_config(opts.config), start_url=opts.url, max_pages=opts.max_pages,
                         concurrency=opts.concurrency, no_external=opts.no_external, no_a11y=opts.no_a11y)
    out = _out_dir(opts.out)
    if opts.queue:
        run = _lazy("crawler.queue", "run_crawl", "分散檢視（--queue）")
        result = run(opts, cfg)
    else:
        from crawler.audit import run_audit
        from reports.history import default_history_path

        history = opts.history or default_history_path(out)
        result = run_audit(cfg, out, opts.as_of, resume=opts.resume, progress=not opts.quiet, history_path=history,
                           keep_state=opts.keep_state)
    _print_result(result)
    print(out / "report.html")
    if not result.complete:
        return ExitCode.CANNOT_RUN
    worst = result.worst()
    if opts.fail_on is not None and worst is not None and worst >= opts.fail_on:
        return ExitCode.FINDINGS
    return ExitCode.OK


def cmd_check(opts: Any) -> ExitCode:
    from crawler.check import emit, render, run_check

    for flag, path in (("--junit", opts.junit), ("--write-baseline", opts.write_baseline)):
        if path is None:
            continue
        if path.is_dir():
            raise UsageError(f"{flag} {path} 是目錄，應為檔案路徑")
        try:  # before the run: a file that cannot be written should not cost a whole check
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise AuditCannotRun(f"無法寫入 {path}（{os_reason(e)}）") from None
    run = run_check(opts)
    sys.stdout.write(render(run, opts.format))
    sys.stdout.flush()
    for line in emit(run, opts):
        eprint(line)
    if not run.complete:
        first = run.not_audited[0]
        more = f"等 {len(run.not_audited)} 頁" if len(run.not_audited) > 1 else ""
        eprint(f"siteaudit: 檢查未完成：{first.page}{more}無法檢查（{first.reason}）")
        return ExitCode.CANNOT_RUN
    if opts.write_baseline is not None:
        return ExitCode.OK
    return ExitCode.FINDINGS if run.failing else ExitCode.OK


def cmd_notify(opts: NotifyOptions) -> ExitCode:
    from crawler.config import load_config

    if not opts.audit_dir.is_dir():
        raise UsageError(f"找不到檢視結果目錄：{opts.audit_dir}")
    run = _lazy("crawler.notify", "run_notify", "寄送通知")
    cfg = load_config(opts.config)
    return ExitCode(run(opts.audit_dir, cfg.notify, list(cfg.units), opts.dry_run))


def cmd_worker(opts: WorkerOptions) -> ExitCode:
    run = _lazy("crawler.queue", "run_worker", "分散檢視（worker）")
    return ExitCode(run(opts))


def cmd_demo(opts: DemoOptions) -> ExitCode:
    from crawler.demo import run_demo

    out = _out_dir(opts.out)
    result = run_demo(out, no_a11y=opts.no_a11y, as_of=opts.as_of)
    _print_result(result)
    print((out / "report.html").resolve())
    return ExitCode.OK


def options_for(args: argparse.Namespace) -> Any:
    """The typed options of the parsed command."""
    as_of = getattr(args, "as_of", None) or date.today()
    if args.command == "crawl":
        return CrawlOptions(url=args.url, as_of=as_of, config=_path(args.config), out=Path(args.out),
                            max_pages=args.max_pages, concurrency=args.concurrency, no_a11y=args.no_a11y,
                            no_external=args.no_external, resume=args.resume,
                            fail_on=Severity.parse(args.fail_on) if args.fail_on else None, queue=args.queue,
                            history=_path(args.history), quiet=args.quiet, keep_state=args.keep_state)
    if args.command == "check":
        from crawler.check import CheckOptions

        return CheckOptions(targets=tuple(args.targets), as_of=as_of, fail_on=Severity.parse(args.fail_on),
                            config=_path(args.config), root=_path(args.root), base_url=args.base_url,
                            baseline=_path(args.baseline), write_baseline=_path(args.write_baseline),
                            junit=_path(args.junit), format=args.format, no_a11y=args.no_a11y,
                            progress=sys.stderr.isatty() and not args.quiet)
    if args.command == "notify":
        return NotifyOptions(audit_dir=Path(args.audit_dir), config=_path(args.config), dry_run=args.dry_run)
    if args.command == "worker":
        return WorkerOptions(queue=args.queue, no_a11y=args.no_a11y, browsers=args.browsers)
    return DemoOptions(out=Path(args.out), as_of=as_of, no_a11y=args.no_a11y)


COMMANDS: dict[str, Callable[[Any], ExitCode]] = {
    "crawl": cmd_crawl, "check": cmd_check, "notify": cmd_notify, "worker": cmd_worker, "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse(argv)
        if args.version:
            print("\n".join(version_lines()))
            return ExitCode.OK
        if args.command is None:
            raise ParserExit(ExitCode.USAGE, "siteaudit：用法錯誤：請指定子命令 crawl、check、notify、worker 或 demo"
                                             "（siteaudit --help 可看說明）\n")
        return int(COMMANDS[args.command](options_for(args)))
    except ParserExit as e:
        (sys.stdout if e.status == 0 else sys.stderr).write(e.message)
        return e.status
    except (ConfigError, UsageError) as e:
        eprint(f"siteaudit: {e}")
        return ExitCode.USAGE
    except AuditInterrupted as e:
        eprint(f"siteaudit: {e}")
        return ExitCode.CANNOT_RUN
    except AuditCannotRun as e:
        eprint(f"siteaudit: 無法執行檢視：{e}")
        return ExitCode.CANNOT_RUN
    except KeyboardInterrupt:
        eprint("siteaudit: 已中斷")
        return ExitCode.CANNOT_RUN
    except OSError as e:
        # the machine, not the input: disk full, a file that vanished mid-run
        from crawler.local import os_reason

        eprint(f"siteaudit: 無法執行檢視：{os_reason(e)}（{e.filename or '系統錯誤'}）")
        return ExitCode.CANNOT_RUN
    except Exception as e:  # noqa: BLE001 - a defect of siteaudit: one line, and the traceback on request
        if os.environ.get("SITEAUDIT_DEBUG"):
            raise
        eprint(f"siteaudit: 內部錯誤，請回報（設定 SITEAUDIT_DEBUG=1 可看詳細資訊）：{type(e).__name__}: {e}")
        return ExitCode.CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
