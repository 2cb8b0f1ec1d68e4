"""`siteaudit notify AUDIT_DIR`: send each unit its list from a finished audit.

SPEC.md "Command line / notify", `[notify]` and `[[units]]`; issue 14
must-have 3.  One Chinese e-mail per unit that has an address in
`[[units]]` and findings in the audit, with its `units/<unit>.xlsx`
attached and a short summary in the body: its stale pages first (the
2-monthly list the service rules require), then counts per kind.

* SMTP from `[notify]`: host, port, optional STARTTLS (certificates are
  verified with the system's trust store; `SSL_CERT_FILE` names a private
  CA, as for any OpenSSL program), optional login.  The password comes only
  from the environment variable SITEAUDIT_SMTP_PASSWORD, never from a file.
* `--dry-run` writes the messages as `.eml` files to AUDIT_DIR/mail/.
* Sending is idempotent per audit: AUDIT_DIR/mail/sent.json records each
  unit sent for this audit's identity (history key + start time), written
  after every message, so a run stopped by a refusing server sends only the
  rest when run again.
* A server that refuses, cannot be reached or fails TLS gives one Chinese
  line and exit 3 (SPEC exit codes); a missing sender or password is a
  configuration error, exit 2.
"""
from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TextIO

from crawler.config import NotifyConfig, Unit

EXIT_OK, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 2, 3
PASSWORD_ENV = "SITEAUDIT_SMTP_PASSWORD"
MAIL_DIR = "mail"
LEDGER = "sent.json"
STALE_IN_BODY = 20
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# `[notify]` and `[[units]]` are parsed by crawler.config (one source of defaults).
UnitContact = Unit


class NotifyError(Exception):
    """One Chinese line for the person running the command, and the exit code."""

    def __init__(self, message: str, code: int = EXIT_CANNOT_RUN) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Letter:
    unit: str
    to: str
    message: EmailMessage
    file_stem: str


# ----------------------------------------------------------------- composing
def _contacts(units: Iterable[UnitContact | tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for u in units:
        name, email = (u.name, u.email) if isinstance(u, UnitContact) else (u[0], u[1])
        if name and email:
            out[name] = email
    return out


def _subject(template: str, unit: str, date_text: str, site: str) -> str:
    # Only the documented placeholders; any other brace stays as written.
    return template.replace("{unit}", unit).replace("{date}", date_text).replace("{site}", site)


def _body(run, group, file_name: str) -> str:
    from checks.urls import display_url
    from reports.byunit import page_title
    from reports.run import roc_date, rule_title, sections_of
    from reports.summary import banner_lines
    from reports.units import days_over

    names = {s.path: s.name for s in sections_of(run)}
    owned = "、".join(f"{names.get(p, p)}（{display_url(p)}）" if names.get(p, p) != p else display_url(p)
                     for p in group.sections)
    site = run.site_name or display_url(run.start_url)
    lines = [f"{group.unit} 您好：", "",
             f"以下是「{site}」{roc_date(run.as_of)}網頁檢視結果中，貴單位負責目錄（{owned}）的問題摘要；"
             f"完整清單（含修正方式）請見附件 {file_name}。", ""]
    for line in banner_lines(run):
        lines += [f"注意：{line}", ""]
    limit = None
    if group.stale:
        limit = group.stale[0].detail.get("limit_months") or 2
    lines.append(f"一、逾期未更新網頁：{len(group.stale)} 頁" + (f"（最後更新已超過 {limit} 個月）" if limit else ""))
    for i, f in enumerate(group.stale[:STALE_IN_BODY], start=1):
        from reports.run import roc_date_of

        title = page_title(run, f.url) or "（無標題）"
        lines.append(f"  {i}. {title}（最後更新 {roc_date_of(f.detail.get('modified'))}，"
                     f"逾期 {days_over(f, run.as_of)} 天）")
        lines.append(f"     {display_url(f.url)}")
    if len(group.stale) > STALE_IN_BODY:
        lines.append(f"  …其餘 {len(group.stale) - STALE_IN_BODY} 頁請見附件。")
    lines.append("")
    counts: dict[str, int] = {}
    for f in group.others:
        counts[rule_title(f.rule)] = counts.get(rule_title(f.rule), 0) + 1
    lines.append(f"二、其他問題：{len(group.others)} 項")
    for title, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {title}：{n} 項")
    lines += ["", "請依附件所列修正方式處理，並更新網頁上的更新日期。如有疑問，請洽網站管理人員。", "",
              "（本信由 siteaudit 網站檢視工具依排程自動寄出）"]
    return "\n".join(lines) + "\n"


def compose(audit_dir: Path, cfg: NotifyConfig, units: Iterable[UnitContact | tuple[str, str]],
            sender: str) -> tuple[list[Letter], list[str], object]:
    """The letters to send (units with an address and findings), and the units with findings but no address."""
    from reports.byunit import unit_groups
    from reports.run import load_run, roc_date
    from reports.units import UNITS_DIR, unit_files, write_units

    if not (audit_dir / "run.json").is_file():
        raise NotifyError(f"找不到檢視結果：{audit_dir} 沒有 run.json，請先執行 siteaudit crawl", EXIT_USAGE)
    run = load_run(audit_dir)
    stems = unit_files(run)
    if any(not (audit_dir / UNITS_DIR / f"{stem}.xlsx").is_file() for stem in stems.values()):
        write_units(run, audit_dir)  # an audit written before units/ existed
    contacts = _contacts(units)
    site = run.site_name or run.start_url
    date_text = roc_date(run.as_of)
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "siteaudit.invalid"
    letters, unaddressed = [], []
    for g in unit_groups(run):
        if not g.total:
            continue
        to = contacts.get(g.unit)
        if not to:
            unaddressed.append(g.unit)
            continue
        stem = stems[g.unit]
        xlsx = audit_dir / UNITS_DIR / f"{stem}.xlsx"
        msg = EmailMessage()
        msg["Subject"] = _subject(cfg.subject, g.unit, date_text, site)
        msg["From"] = sender
        msg["To"] = to
        msg["Date"] = format_datetime(datetime.now(UTC).astimezone())
        msg["Message-ID"] = make_msgid("siteaudit", domain=domain)
        msg["Content-Language"] = "zh-TW"
        msg.set_content(_body(run, g, xlsx.name), charset="utf-8")
        msg.add_attachment(xlsx.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=xlsx.name)
        letters.append(Letter(g.unit, to, msg, stem))
    return letters, unaddressed, run


# ----------------------------------------------------------------- the ledger
def audit_identity(run) -> str:
    return f"{run.history_key}|{run.started or run.meta.get('as_of', '')}"


def _ledger_path(audit_dir: Path) -> Path:
    return audit_dir / MAIL_DIR / LEDGER


def read_ledger(audit_dir: Path) -> dict:
    path = _ledger_path(audit_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"sent": {}}
    return data if isinstance(data.get("sent"), dict) else {"sent": {}}


def _write_ledger(audit_dir: Path, ledger: dict) -> None:
    path = _ledger_path(audit_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(ledger, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())  # a mail recorded as sent must stay recorded
    tmp.replace(path)


def _ledger_key(identity: str, unit: str) -> str:
    return f"{identity}|{unit}"


# ----------------------------------------------------------------- sending
def _connect(cfg: NotifyConfig, timeout: float) -> smtplib.SMTP:
    where = f"{cfg.smtp_host}:{cfg.smtp_port}"
    try:
        smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=timeout)
    except (socket.gaierror, UnicodeError):
        raise NotifyError(f"寄信失敗：找不到郵件伺服器 {cfg.smtp_host}，請確認 [notify] smtp_host") from None
    except (ConnectionRefusedError, TimeoutError):
        raise NotifyError(f"寄信失敗：無法連線到郵件伺服器 {where}（拒絕連線或逾時），請確認 [notify] 設定") from None
    except (OSError, smtplib.SMTPException) as e:
        raise NotifyError(f"寄信失敗：無法連線到郵件伺服器 {where}（{_code(e)}）") from None
    try:
        smtp.ehlo()
        if cfg.starttls:
            if not smtp.has_extn("starttls"):
                raise NotifyError(f"寄信失敗：郵件伺服器 {where} 不支援 STARTTLS，請確認 [notify] starttls 設定")
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if cfg.username:
            password = os.environ.get(PASSWORD_ENV)
            if not password:
                raise NotifyError(f"需要郵件帳號 {cfg.username} 的密碼：請設定環境變數 {PASSWORD_ENV}", EXIT_USAGE)
            mechanisms = (smtp.esmtp_features.get("auth") or "").upper().split()
            if "PLAIN" in mechanisms:
                # One mechanism, so a refused password is the server's 535, not the
                # confusion of smtplib falling back to LOGIN after it.
                smtp.user, smtp.password = cfg.username, password
                smtp.auth("PLAIN", smtp.auth_plain)
            else:
                smtp.login(cfg.username, password)
    except NotifyError:
        smtp.close()
        raise
    except ssl.SSLError:
        smtp.close()
        raise NotifyError(f"寄信失敗：與郵件伺服器 {where} 的 TLS 連線失敗（憑證無法驗證或不相符）") from None
    except smtplib.SMTPAuthenticationError as e:
        smtp.close()
        raise NotifyError(f"寄信失敗：郵件伺服器 {where} 拒絕登入帳號 {cfg.username}（{_code(e)}）") from None
    except (OSError, smtplib.SMTPException) as e:
        smtp.close()
        raise NotifyError(f"寄信失敗：郵件伺服器 {where} 中斷連線（{_code(e)}）") from None
    return smtp


def _code(e: BaseException) -> str:
    """The server's reply code for people; its English text stays out of the message."""
    code = getattr(e, "smtp_code", None)
    if code is None and isinstance(e, smtplib.SMTPRecipientsRefused) and e.recipients:
        code = next(iter(e.recipients.values()))[0]
    return f"伺服器回覆 {code}" if code else "連線錯誤"


def run_notify(audit_dir: Path, cfg_notify: NotifyConfig, units: Sequence[UnitContact | tuple[str, str]],
               dry_run: bool, *, out: TextIO | None = None, err: TextIO | None = None, timeout: float = 30) -> int:
    """Send (or with dry_run write as .eml) each unit's list; the exit code (0, 2 or 3)."""
    out = out or sys.stdout
    err = err or sys.stderr
    audit_dir = Path(audit_dir)
    try:
        return _notify(audit_dir, cfg_notify, units, dry_run, out, timeout)
    except NotifyError as e:
        print(f"siteaudit notify：{e}", file=err)
        return e.code


def _notify(audit_dir: Path, cfg: NotifyConfig, units: Sequence[UnitContact | tuple[str, str]], dry_run: bool,
            out: TextIO, timeout: float) -> int:
    if not dry_run and not cfg.sender:
        raise NotifyError("未設定寄件人：請在設定檔 [notify] sender 填寫寄件地址", EXIT_USAGE)
    letters, unaddressed, run = compose(audit_dir, cfg, units, cfg.sender or "siteaudit@localhost")
    for unit in unaddressed:
        print(f"未寄送：{unit} 沒有收件地址（請在設定檔 [[units]] 設定 email）", file=out)
    if not letters:
        print("沒有需要寄送的清單（有收件地址的單位都沒有問題）。", file=out)
        return EXIT_OK
    if dry_run:
        folder = audit_dir / MAIL_DIR
        folder.mkdir(parents=True, exist_ok=True)
        for letter in letters:
            path = folder / f"{letter.file_stem}.eml"
            path.write_bytes(letter.message.as_bytes())
            print(f"已寫出 {path}（收件人 {letter.to}）", file=out)
        print(f"試寄完成：{len(letters)} 封郵件寫在 {folder}，未實際寄出。", file=out)
        return EXIT_OK

    identity = audit_identity(run)
    ledger = read_ledger(audit_dir)
    pending = [x for x in letters if _ledger_key(identity, x.unit) not in ledger["sent"]]
    skipped = len(letters) - len(pending)
    if not pending:
        print(f"這次檢視的 {len(letters)} 封清單先前都已寄出，不再重寄。", file=out)
        return EXIT_OK
    smtp = _connect(cfg, timeout)
    sent = 0
    try:
        for letter in pending:
            try:
                smtp.send_message(letter.message)
            except (OSError, smtplib.SMTPException) as e:
                done, rest = sent + skipped, len(pending) - sent
                raise NotifyError(
                    f"寄信失敗：郵件伺服器拒絕寄給 {letter.unit} <{letter.to}>（{_code(e)}）；"
                    f"已寄出 {done} 封不會重寄，問題排除後再執行一次即可寄出其餘 {rest} 封") from None
            ledger["sent"][_ledger_key(identity, letter.unit)] = {
                "unit": letter.unit, "to": letter.to, "message_id": letter.message["Message-ID"],
                "at": datetime.now(UTC).astimezone().isoformat(timespec="seconds")}
            _write_ledger(audit_dir, ledger)
            sent += 1
            print(f"已寄給 {letter.unit} <{letter.to}>", file=out)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    tail = f"；{skipped} 封先前已寄出，未重寄" if skipped else ""
    print(f"寄送完成：寄出 {sent} 封{tail}。", file=out)
    return EXIT_OK
