"""Prototype command line until `siteaudit` gains the flag and the subcommand:

    python -m crawler.queue crawl URL --queue redis://HOST:PORT/DB [siteaudit crawl options]
    python -m crawler.queue worker --queue redis://HOST:PORT/DB [--no-a11y] [--browsers N]

`crawl` takes every option of `siteaudit crawl` (parsed by crawler.cli's own
parser) and maps results to the same exit codes.  The integrator replaces
this with `--queue` on `siteaudit crawl` and a `worker` subcommand that calls
`crawler.queue.run_worker` (docs/scale-out.md, "Hooks").
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="python -m crawler.queue", add_help=False)
    p.add_argument("command", choices=("crawl", "worker"))
    p.add_argument("--queue", required=True)
    # timings of the queue protocol (tests and tuning; docs/scale-out.md)
    p.add_argument("--lease", type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument("--heartbeat", type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument("--lost-after", type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument("--browsers", type=int, default=None, help=argparse.SUPPRESS)
    known, rest = p.parse_known_args(argv)
    if known.command == "worker":
        w = argparse.ArgumentParser(prog="python -m crawler.queue worker")
        w.add_argument("--no-a11y", action="store_true")
        w.add_argument("--max-runs", type=int)
        a = w.parse_args(rest)
        from crawler.queue.worker import run_worker

        return run_worker(known.queue, no_a11y=a.no_a11y, browsers=known.browsers, max_runs=a.max_runs)

    from crawler import cli
    from crawler.config import load_config, with_overrides
    from crawler.errors import AuditCannotRun, ConfigError, UsageError
    from crawler.queue.coordinator import run_queue_audit

    try:
        args = cli.build_parser().parse_args(["crawl", *rest])
        fail_on = cli._severity(args.fail_on)
        as_of = cli._as_of(args.as_of)
        cfg = with_overrides(load_config(args.config), start_url=args.url, max_pages=args.max_pages,
                             concurrency=args.concurrency, no_external=args.no_external, no_a11y=args.no_a11y)
        out = Path(args.out)
        history = Path(args.history) if args.history else cli._default_history(out)
        opts = {k: v for k, v in (("lease", known.lease), ("heartbeat", known.heartbeat),
                                  ("lost_after", known.lost_after), ("browsers", known.browsers)) if v is not None}
        result = run_queue_audit(cfg, out, as_of, known.queue, resume=args.resume, progress=not args.quiet,
                                 history_path=history, **opts)
    except (ConfigError, UsageError) as e:
        print(f"siteaudit: {e}", file=sys.stderr)
        return cli.EXIT_USAGE
    except AuditCannotRun as e:
        print(f"siteaudit: 無法執行檢視：{e}", file=sys.stderr)
        return cli.EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("siteaudit: 已中斷", file=sys.stderr)
        return cli.EXIT_CANNOT_RUN
    cli._print_result(result, out)
    print(out / "report.html")
    if not result.complete:
        return cli.EXIT_CANNOT_RUN
    if fail_on is not None and result.worst() is not None and result.worst() >= fail_on:
        return cli.EXIT_FINDINGS
    return cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
