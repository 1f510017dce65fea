"""Email: through a real SMTP server (aiosmtpd on loopback), or as .eml files in the outbox."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from service.config import SETTINGS
from service.config import load_settings
from service.usecases.mail import MailError
from service.usecases.mail import MailSettings
from service.usecases.mail import send_mail

README = Path(__file__).resolve().parents[1] / "README.md"


def test_message_reaches_a_real_smtp_server(smtp) -> None:
    where = send_mail(smtp.settings, to="partner@assoc.example", subject="Someone is\ninterested",
                      body="A peer would like to help.\n", reply_to="lead@cg.example")
    assert where.startswith("smtp://127.0.0.1:")
    [message] = smtp.to("partner@assoc.example")
    assert message["Subject"] == "Someone is interested"  # one line: no header injection
    assert message["From"] == "CommonGround <hello@cg.example>"
    assert message["Reply-To"] == "lead@cg.example"
    assert message["Message-ID"]
    assert "A peer would like to help." in smtp.body(message)


def test_without_smtp_each_email_is_an_eml_file(tmp_path: Path) -> None:
    settings = load_settings({}, instance_path=tmp_path)
    assert settings["MAIL_OUTBOX"] == str(tmp_path / "outbox")
    where = send_mail(settings, to="a@b.example", subject="Hello", body="Body text")
    path = Path(where)
    assert path.parent == tmp_path / "outbox"
    assert path.suffix == ".eml"
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "a@b.example"
    assert "Body text" in parsed.get_content()
    assert "instance/outbox/" in README.read_text(encoding="utf-8")


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    from _smtp import free_port

    port = free_port()  # nothing listens there
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_PASSWORD": "hunter2hunter2"}
    with pytest.raises(MailError, match=rf"127\.0\.0\.1:{port}") as info:
        send_mail(settings, to="a@b.example", subject="x", body="y")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(("env", "message"), [
    ({"COMMONGROUND_SMTP_SECURITY": "ssl3"}, "COMMONGROUND_SMTP_SECURITY='ssl3' is not known"),
    ({"COMMONGROUND_SMTP_PORT": "smtp"}, "COMMONGROUND_SMTP_PORT='smtp' is not a port"),
    ({"COMMONGROUND_SMTP_PORT": "70000"}, "COMMONGROUND_SMTP_PORT='70000' is not a port"),
    ({"COMMONGROUND_INTEREST_RETENTION_DAYS": "0"}, "INTEREST_RETENTION_DAYS='0'"),
])
def test_bad_mail_settings_are_named(env, message, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=message):
        load_settings(env, instance_path=tmp_path)


def test_tls_defaults_to_port_465() -> None:
    assert MailSettings.from_settings({"SMTP_SECURITY": "tls", "SMTP_HOST": "h"}).port == 465
    assert "secret-pass" not in repr(MailSettings(password="secret-pass"))


def test_mail_settings_are_in_the_list() -> None:
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD",
                 "MAIL_SENDER", "MAIL_OUTBOX", "INTEREST_RETENTION_DAYS"):
        assert name in SETTINGS
