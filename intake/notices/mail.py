"""Sending one notice over SMTP (host, port, STARTTLS or SSL, credentials from the environment).

Environment: DOCINTAKE_SMTP_HOST (required to send), DOCINTAKE_SMTP_PORT (default 587 for
starttls, 465 for ssl, 25 for none), DOCINTAKE_SMTP_SECURITY (starttls | ssl | none, default
starttls), DOCINTAKE_SMTP_USER / DOCINTAKE_SMTP_PASSWORD (optional), DOCINTAKE_NOTICE_FROM
(the sender address), DOCINTAKE_SMTP_TIMEOUT (seconds, default 30), DOCINTAKE_SMTP_CA_FILE
(a private CA to trust, for a bureau mail server with an internal certificate).
"""
from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from ..errors import ConfigError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORT = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password: str | None = None
    sender: str = "noreply@localhost"
    timeout: float = 30.0
    ca_file: str | None = None

    @classmethod
    def from_env(cls, env=None) -> "SmtpSettings":
        env = os.environ if env is None else env
        host = (env.get("DOCINTAKE_SMTP_HOST") or "").strip()
        if not host:
            raise ConfigError("未配置邮件服务器（DOCINTAKE_SMTP_HOST），通知无法发送。"
                              "Set DOCINTAKE_SMTP_HOST (and port, security, credentials) to send notices.")
        security = (env.get("DOCINTAKE_SMTP_SECURITY") or "starttls").strip().lower()
        if security not in SECURITY:
            raise ConfigError(f"DOCINTAKE_SMTP_SECURITY 应为 {'/'.join(SECURITY)}：{security}。")
        try:
            port = int(env.get("DOCINTAKE_SMTP_PORT") or DEFAULT_PORT[security])
            timeout = float(env.get("DOCINTAKE_SMTP_TIMEOUT") or 30)
        except ValueError as exc:
            raise ConfigError(f"邮件服务器端口或超时设置无效：{exc}。Invalid SMTP port or timeout.") from exc
        sender = (env.get("DOCINTAKE_NOTICE_FROM") or env.get("DOCINTAKE_SMTP_USER") or "").strip()
        if "@" not in sender:
            raise ConfigError("未配置发件人地址（DOCINTAKE_NOTICE_FROM）。Set DOCINTAKE_NOTICE_FROM.")
        return cls(host=host, port=port, security=security, user=env.get("DOCINTAKE_SMTP_USER") or None,
                   password=env.get("DOCINTAKE_SMTP_PASSWORD") or None, sender=sender, timeout=timeout,
                   ca_file=env.get("DOCINTAKE_SMTP_CA_FILE") or None)


class SendError(Exception):
    """One attempt failed; `permanent` when retrying cannot help (the server refused the address)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def message(settings: SmtpSettings, to: str, subject: str, body: str, pdf: bytes, filename: str,
            message_id: str, reply_to: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id  # the same on every retry: a receiver can drop a repeat
    if reply_to:
        msg["Reply-To"] = reply_to
    msg.set_content(body, charset="utf-8")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return msg


def send(settings: SmtpSettings, msg: EmailMessage) -> None:
    context = ssl.create_default_context(cafile=settings.ca_file)
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if settings.user and settings.password:
                client.login(settings.user, settings.password)
            client.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(f"收件地址被拒绝：{_first(exc.recipients)}", permanent=True) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"邮件服务器登录失败：{exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx is the server's final word on this message; 4xx is "try again later"
        raise SendError(f"邮件服务器拒绝：{exc.smtp_code} {_text(exc.smtp_error)}",
                        permanent=500 <= exc.smtp_code < 600 and exc.smtp_code != 530) from exc
    except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from exc


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _first(recipients: dict) -> str:
    for addr, (code, text) in recipients.items():
        return f"{addr}（{code} {_text(text)}）"
    return ""
