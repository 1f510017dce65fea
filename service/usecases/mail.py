"""Email: build a message and send it by SMTP, or write it to the outbox folder.

Plain Python (no Flask): the use cases that tell someone something (an interest, a
registration, a password reset, a decision) call :func:`send_mail` with the settings.

Settings (see :mod:`service.config`): ``SMTP_HOST`` (empty: no SMTP), ``SMTP_PORT``,
``SMTP_SECURITY`` (``none`` | ``starttls`` | ``tls``), ``SMTP_USER``, ``SMTP_PASSWORD``,
``MAIL_SENDER`` and ``MAIL_OUTBOX``. With no ``SMTP_HOST``, each message is written as an
``.eml`` file under ``MAIL_OUTBOX`` (default ``instance/outbox/``), so development and demos
need no mail server and the messages can be opened in any mail program.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    import logging
    from collections.abc import Mapping

SECURITY_CHOICES = ("none", "starttls", "tls")
DEFAULT_SENDER = "CommonGround <no-reply@commonground.invalid>"
TIMEOUT_SECONDS = 10


class MailError(RuntimeError):
    """A message could not be handed to the mail server (names the server, never a secret)."""


@dataclasses.dataclass(frozen=True)
class MailSettings:
    """Where and how mail goes."""

    host: str = ""
    port: int = 25
    security: str = "none"
    user: str = ""
    password: str = dataclasses.field(default="", repr=False)
    sender: str = DEFAULT_SENDER
    outbox: str = "outbox"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> MailSettings:
        """The mail part of the resolved settings, checked.

        Raises
        ------
        ValueError
            On an unknown ``SMTP_SECURITY`` or a port that is not a number in 1-65535.
        """
        security = str(settings.get("SMTP_SECURITY") or "none").strip().lower()
        if security not in SECURITY_CHOICES:
            msg = (f"COMMONGROUND_SMTP_SECURITY={security!r} is not known; choose one of "
                   f"{', '.join(SECURITY_CHOICES)}")
            raise ValueError(msg)
        raw_port = settings.get("SMTP_PORT") or (465 if security == "tls" else 25)
        try:
            port = int(raw_port)
        except (TypeError, ValueError):
            port = -1
        if not 1 <= port <= 65535:  # noqa: PLR2004
            msg = f"COMMONGROUND_SMTP_PORT={raw_port!r} is not a port; use a number 1-65535"
            raise ValueError(msg)
        data_dir = settings.get("DATA_DIR") or "instance"
        return cls(host=str(settings.get("SMTP_HOST") or ""), port=port, security=security,
                   user=str(settings.get("SMTP_USER") or ""),
                   password=str(settings.get("SMTP_PASSWORD") or ""),
                   sender=str(settings.get("MAIL_SENDER") or DEFAULT_SENDER),
                   outbox=str(settings.get("MAIL_OUTBOX") or Path(data_dir) / "outbox"))


def build_message(*, sender: str, to: str | list[str], subject: str, body: str,
                  reply_to: str | None = None) -> EmailMessage:
    """A plain-text message with the headers every mail server expects.

    >>> m = build_message(sender="a@x.example", to="b@y.example", subject="Hi", body="Hello")
    >>> m["To"], m["Subject"], m.get_content().strip()
    ('b@y.example', 'Hi', 'Hello')
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    # Header injection is refused by the email package; subjects are one line anyway.
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain="commonground.invalid")
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(body)
    return message


def _write_outbox(message: EmailMessage, outbox: str) -> str:
    folder = Path(outbox)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{secrets.token_hex(4)}.eml"
    path.write_bytes(message.as_bytes())
    return str(path)


def _smtp_send(message: EmailMessage, mail: MailSettings) -> str:
    context = ssl.create_default_context()
    try:
        if mail.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(mail.host, mail.port, context=context,
                                                  timeout=TIMEOUT_SECONDS)
        else:
            smtp = smtplib.SMTP(mail.host, mail.port, timeout=TIMEOUT_SECONDS)
        with smtp:
            if mail.security == "starttls":
                smtp.starttls(context=context)
            if mail.user:
                smtp.login(mail.user, mail.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        msg = (f"could not send mail through {mail.host}:{mail.port} "
               f"({type(exc).__name__}); check the COMMONGROUND_SMTP_* settings")
        raise MailError(msg) from exc
    return f"smtp://{mail.host}:{mail.port}"


def send_mail(settings: Mapping[str, Any], *, to: str | list[str], subject: str, body: str,
              reply_to: str | None = None) -> str:
    """Send one message; return where it went (``smtp://host:port`` or the ``.eml`` path).

    Parameters
    ----------
    settings
        The resolved settings (``SMTP_*``, ``MAIL_SENDER``, ``MAIL_OUTBOX``, ``DATA_DIR``).
    to
        One address or several.
    subject, body
        Plain text.
    reply_to
        Optional ``Reply-To`` address.

    Raises
    ------
    MailError
        When the SMTP server cannot be reached or refuses the message.
    """
    mail = MailSettings.from_settings(settings)
    message = build_message(sender=mail.sender, to=to, subject=subject, body=body,
                            reply_to=reply_to)
    if not mail.host:
        return _write_outbox(message, mail.outbox)
    return _smtp_send(message, mail)


def try_send(settings: Mapping[str, Any], *, to: list[str], subject: str, body: str,
             log: logging.Logger, what: str) -> bool:
    """Send, or log why not (``"<what> email not sent: ..."``); ``False`` when nobody is told.

    For mail a use case reports on (told / not told) rather than fails over.
    """
    if not to:
        return False
    try:
        send_mail(settings, to=to, subject=subject, body=body)
    except MailError as exc:
        log.warning("%s email not sent: %s", what, exc)
        return False
    return True


__all__ = ["SECURITY_CHOICES", "MailError", "MailSettings", "build_message", "send_mail",
           "try_send"]
