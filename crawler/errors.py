"""Failures to run (as opposed to findings, which are data), and the exit codes.

SPEC "Command line / Exit codes".  Findings are values; a failure to run is
one of the exceptions below, whose message is the one Traditional Chinese
line a person reads.  `crawler.cli.main()` is the only place that turns them
into an `ExitCode`: ConfigError and UsageError -> USAGE (2), AuditCannotRun
-> CANNOT_RUN (3).  No other module calls `sys.exit`.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The process exit status of every `siteaudit` command (SPEC "Exit codes")."""

    OK = 0  # ran, and nothing reached --fail-on
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # bad usage or bad config
    CANNOT_RUN = 3  # the audit could not run, or is incomplete


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class ConfigError(Exception):
    """Bad site.toml: the message names the key (exit 2)."""


class AuditCannotRun(Exception):
    """The audit cannot run: site unreachable, browser missing... (exit 3).

    The message says how to fix it (or to pass --no-a11y)."""


class AuditInterrupted(AuditCannotRun):
    """SIGTERM/SIGINT stopped the run; the state store is kept for --resume (exit 3)."""
