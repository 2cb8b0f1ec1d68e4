"""`siteaudit check --format github`: GitHub Actions workflow commands.

SPEC "Command line / check".  One `::error file=PATH,line=N,title=RULE::訊息`
per finding (`::warning`, `::notice` by severity), which GitHub shows as
annotations on the pull request's changed lines, then the summary as a
plain log line.  Escaping follows the runner's own (actions/toolkit
`command.ts`): in the message `%`, CR and LF; in property values also `:`
and `,`, which would otherwise end a value.  A pure function of a
finished `CheckRun`.
"""
from __future__ import annotations

from checks.model import Finding, Severity
from reports.checkrun import CheckRun, is_url, line_of
from reports.console import summary_line

_COMMAND = {Severity.error: "error", Severity.warning: "warning", Severity.notice: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(f: Finding) -> str:
    props = []
    if not is_url(f.url):  # annotations attach to files of the repository
        props.append(f"file={escape_property(f.url)}")
        line = line_of(f)
        if line:
            props.append(f"line={line}")
    props.append(f"title={escape_property(f.rule)}")
    message = f.message if not is_url(f.url) else f"{f.url}：{f.message}"
    return f"::{_COMMAND[f.severity]} {','.join(props)}::{escape_data(message)}"


def github_report(run: CheckRun) -> str:
    lines = [workflow_command(f) for fs in run.by_page().values() for f in fs]
    lines.extend(f"::error title={escape_property('無法檢查')}::{escape_data(n.page + '：' + n.reason)}"
                 for n in run.not_audited)
    lines.append(summary_line(run))
    return "\n".join(lines) + "\n"
