"""`siteaudit check --format text`: one line per finding, the way editors read them.

SPEC "Command line / check".  `PATH:LINE: 嚴重度 RULE 訊息` — the form of
compiler diagnostics, which editors (Vim's quickfix, Emacs' compilation
mode, VS Code problem matchers) jump from.  LINE is the source line of the
offending element where the check knew it (`detail.line`); where no element
is to blame (a metadata field that is absent) the line is left out,
`PATH: 嚴重度 …`, as compilers do for file-level diagnostics, rather than
pointing at line 1.  Lines are grouped by page, a blank line between pages,
then one Chinese summary line.  A pure function of a finished `CheckRun`.
"""
from __future__ import annotations

from checks.model import Finding
from reports.checkrun import CheckRun, line_of


def _one_line(text: str) -> str:
    return " ".join(text.split())


def finding_line(f: Finding) -> str:
    line = line_of(f)
    place = f"{f.url}:{line}:" if line else f"{f.url}:"
    return f"{place} {f.severity.zh} {f.rule} {_one_line(f.message)}"


def summary_line(run: CheckRun) -> str:
    sev = run.by_severity()
    where = f"（文件根目錄 {run.root}）" if run.root else ""
    counts = "、".join(f"{s.zh} {n} 項" for s, n in sev.items())
    text = f"檢查 {len(run.pages)} 頁{where}：{counts}"
    if run.baselined:
        text += f"（另有 {len(run.baselined)} 項已列在基準檔 {run.baseline}，不計）"
    failing = len(run.failing)
    if not run.complete:
        text += f"；{len(run.not_audited)} 頁未能檢查，檢查未完成"
    elif failing:
        text += f"；達「{run.fail_on.zh}」以上 {failing} 項，未通過"
    else:
        text += f"；沒有達「{run.fail_on.zh}」以上的問題，通過"
    if not run.a11y:
        text += "（未做無障礙檢測）"
    return text + "。"


def text_report(run: CheckRun) -> str:
    blocks: list[str] = []
    missing = {n.page: n.reason for n in run.not_audited}
    for page, findings in run.by_page().items():
        lines = [f"{page}: 無法檢查 {missing[page]}"] if page in missing else []
        lines.extend(finding_line(f) for f in findings)
        if lines:
            blocks.append("\n".join(lines))
    blocks.append(summary_line(run))
    return "\n\n".join(blocks) + "\n"
