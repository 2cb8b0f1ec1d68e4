"""`siteaudit notify`: real SMTP servers on loopback (aiosmtpd), with STARTTLS on a certificate the test
makes, login, a refusing server, the sent-ledger that prevents sending twice, and --dry-run .eml files."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import socket
import ssl
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import reports_synthetic as S  # noqa: E402

from crawler.notify import PASSWORD_ENV, NotifyConfig, UnitContact, run_notify  # noqa: E402
from reports import render_all  # noqa: E402

aiosmtpd = pytest.importorskip("aiosmtpd", reason="needs aiosmtpd (test dependency): pip install aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult  # noqa: E402

UNITS = [UnitContact("秘書室", "secretariat@example.gov.tw"), UnitContact("人事室", "personnel@example.gov.tw"),
         UnitContact("第一課", "first@example.gov.tw"), UnitContact("未指定", "webmaster@example.gov.tw")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it received and can refuse recipients."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = refuse or set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd API
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


def serve(handler, **kw) -> Controller:
    c = Controller(handler, hostname="127.0.0.1", port=free_port(), **kw)
    c.start()
    return c


@pytest.fixture()
def audit(tmp_path: Path) -> Path:
    out = S.basic_run(tmp_path / "2026-11")
    render_all(out, None)
    return out


def cfg(port: int, **kw) -> NotifyConfig:
    return NotifyConfig(smtp_host="127.0.0.1", smtp_port=port, sender="webmaster@example.gov.tw", **kw)


def test_one_mail_per_unit_with_its_xlsx_and_summary(audit: Path) -> None:
    inbox = Inbox()
    server = serve(inbox)
    try:
        out = io.StringIO()
        assert run_notify(audit, cfg(server.port), UNITS, dry_run=False, out=out) == 0
    finally:
        server.stop()
    # 第一課 has an address but no findings: no mail
    assert sorted(to for _, (to,) in inbox.envelopes) == sorted(
        ["secretariat@example.gov.tw", "personnel@example.gov.tw", "webmaster@example.gov.tw"])
    msg = next(m for m in inbox.messages if m["To"] == "secretariat@example.gov.tw")
    assert msg["Subject"] == "秘書室網頁檢視清單（民國115年11月26日）"
    body = msg.get_body(("plain",)).get_content()
    assert body.startswith("秘書室 您好")
    # stale pages first, oldest first, in 民國 form with days over, then counts per kind
    stale = body.index("一、逾期未更新網頁：2 頁")
    assert stale < body.index("春節服務時間公告（最後更新 民國115年1月5日，逾期 264 天）") < body.index("二、其他問題")
    assert "失效連結：1 項" in body and "缺少詮釋資料欄位：2 項" in body
    attachments = list(msg.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["秘書室.xlsx"]
    import openpyxl
    xlsx = audit / "attachment.xlsx"
    xlsx.write_bytes(attachments[0].get_content())
    assert openpyxl.load_workbook(xlsx).active.title == "秘書室"
    assert "寄送完成：寄出 3 封" in out.getvalue()


def test_dry_run_writes_eml_files(audit: Path) -> None:
    out = io.StringIO()
    assert run_notify(audit, NotifyConfig(smtp_port=1), UNITS, dry_run=True, out=out) == 0  # no server needed
    files = sorted((audit / "mail").glob("*.eml"))
    assert [f.name for f in files] == sorted(["秘書室.eml", "人事室.eml", "未指定.eml"])
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert "網頁檢視清單" in msg["Subject"] and list(msg.iter_attachments())
    assert not (audit / "mail" / "sent.json").exists()  # nothing was sent


def test_units_without_address_are_named(audit: Path) -> None:
    inbox = Inbox()
    server = serve(inbox)
    try:
        out = io.StringIO()
        assert run_notify(audit, cfg(server.port), UNITS[:1], dry_run=False, out=out) == 0
    finally:
        server.stop()
    assert len(inbox.messages) == 1
    assert "未寄送：人事室 沒有收件地址" in out.getvalue()


def make_cert(tmp: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA and a server certificate for 127.0.0.1, made here with `cryptography`."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "siteaudit test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_file, key_file)
    return ca_file, ctx


class Login:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235 / 535


def test_starttls_and_login_with_password_from_environment(audit: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ca_file, server_ctx = make_cert(tmp_path)
    inbox = Inbox()
    server = serve(inbox, tls_context=server_ctx, require_starttls=True, auth_require_tls=True,
                   authenticator=Login("webmaster", "s3cret"), auth_required=True)
    try:
        config = cfg(server.port, starttls=True, username="webmaster")
        err = io.StringIO()
        # the certificate is verified: without the CA the TLS handshake is refused
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nowhere.pem"))
        monkeypatch.setenv(PASSWORD_ENV, "s3cret")
        assert run_notify(audit, config, UNITS, dry_run=False, out=io.StringIO(), err=err) == 3
        assert "TLS" in err.getvalue() and not inbox.messages
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        # no password in the environment: a configuration error naming the variable
        monkeypatch.delenv(PASSWORD_ENV)
        err = io.StringIO()
        assert run_notify(audit, config, UNITS, dry_run=False, out=io.StringIO(), err=err) == 2
        assert PASSWORD_ENV in err.getvalue()
        # a wrong password: one Chinese line, exit 3
        monkeypatch.setenv(PASSWORD_ENV, "wrong")
        err = io.StringIO()
        assert run_notify(audit, config, UNITS, dry_run=False, out=io.StringIO(), err=err) == 3
        assert "拒絕登入" in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1
        monkeypatch.setenv(PASSWORD_ENV, "s3cret")
        assert run_notify(audit, config, UNITS, dry_run=False, out=io.StringIO()) == 0
    finally:
        server.stop()
    assert len(inbox.messages) == 3


def test_refusing_server_exit_3_and_no_mail_sent_twice(audit: Path) -> None:
    # The server refuses 人事室's mailbox: the first mail goes out, then one Chinese line and exit 3.
    inbox = Inbox(refuse={"personnel@example.gov.tw"})
    server = serve(inbox)
    try:
        err = io.StringIO()
        assert run_notify(audit, cfg(server.port), UNITS, dry_run=False, out=io.StringIO(), err=err) == 3
        line = err.getvalue().strip()
        assert len(line.splitlines()) == 1 and "人事室" in line and "550" in line and "寄信失敗" in line
        assert not any(c.isascii() and c.isalpha() for c in line.replace("siteaudit notify", "").split("<")[0])
        assert [m["To"] for m in inbox.messages] == ["secretariat@example.gov.tw"]
        ledger = json.loads((audit / "mail" / "sent.json").read_text(encoding="utf-8"))
        assert [v["unit"] for v in ledger["sent"].values()] == ["秘書室"]
        # fixed: run again — 秘書室 is not sent twice, the other two go out
        inbox.refuse.clear()
        out = io.StringIO()
        assert run_notify(audit, cfg(server.port), UNITS, dry_run=False, out=out) == 0
        assert sorted(m["To"] for m in inbox.messages) == sorted(
            ["secretariat@example.gov.tw", "personnel@example.gov.tw", "webmaster@example.gov.tw"])
        assert "1 封先前已寄出" in out.getvalue()
        # and a third run sends nothing at all
        assert run_notify(audit, cfg(server.port), UNITS, dry_run=False, out=io.StringIO()) == 0
        assert len(inbox.messages) == 3
    finally:
        server.stop()


def test_unreachable_server_and_bad_input(audit: Path, tmp_path: Path) -> None:
    err = io.StringIO()
    assert run_notify(audit, cfg(free_port()), UNITS, dry_run=False, out=io.StringIO(), err=err) == 3
    assert "無法連線到郵件伺服器" in err.getvalue()
    assert not (audit / "mail" / "sent.json").exists()
    err = io.StringIO()
    assert run_notify(audit, NotifyConfig(smtp_port=1), UNITS, dry_run=False, out=io.StringIO(), err=err) == 2
    assert "[notify] sender" in err.getvalue()
    err = io.StringIO()
    (tmp_path / "empty").mkdir()
    assert run_notify(tmp_path / "empty", cfg(1), UNITS, dry_run=True, out=io.StringIO(), err=err) == 2
    assert "run.json" in err.getvalue()


def test_older_audit_without_unit_files_gets_them(tmp_path: Path) -> None:
    out = S.basic_run(tmp_path / "old")  # findings but no units/ yet
    assert run_notify(out, NotifyConfig(), [("秘書室", "a@example.gov.tw")], dry_run=True, out=io.StringIO()) == 0
    assert (out / "units" / "秘書室.xlsx").is_file() and (out / "mail" / "秘書室.eml").is_file()
