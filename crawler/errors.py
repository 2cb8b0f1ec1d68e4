"""Failures to run (as opposed to findings, which are data).

The CLI maps each to an exit code (SPEC "Exit codes"): ConfigError and
UsageError -> 2, AuditCannotRun -> 3.
"""


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class ConfigError(Exception):
    """Bad site.toml: the message names the key (exit 2)."""


class AuditCannotRun(Exception):
    """The audit cannot run: site unreachable, browser missing... (exit 3).

    The message says how to fix it (or to pass --no-a11y)."""


class AuditInterrupted(AuditCannotRun):
    """SIGTERM/SIGINT stopped the run; the state store is kept for --resume (exit 3)."""
