"""A real SMTP server for the notice tests: aiosmtpd on 127.0.0.1 (optionally STARTTLS with a
self-signed certificate), keeping every delivered message; it can refuse the first N with 451."""
from __future__ import annotations

import datetime
import email
import socket
import ssl
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self, fail_first: int = 0, refuse: str | None = None):
        self.fail_first = fail_first
        self.refuse = refuse  # an SMTP answer for every message (e.g. "550 no such user")
        self.attempts = 0
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse:
            return self.refuse
        if self.attempts <= self.fail_first:
            return "451 4.3.0 try again later"
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def bodies(self) -> list[str]:
        return [m.get_body(("plain",)).get_content() for m in self.messages]

    def pdfs(self) -> list[bytes]:
        return [part.get_content() for m in self.messages for part in m.iter_attachments()
                if part.get_content_type() == "application/pdf"]


def self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "smtp.crt", tmp / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def start(mailbox: Mailbox, tls_dir: Path | None = None) -> tuple[Controller, int, Path | None]:
    port = free_port()
    kw = {}
    cert = None
    if tls_dir is not None:
        cert, key = self_signed(tls_dir)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        kw = {"tls_context": ctx, "require_starttls": True}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=30, **kw)
    controller.start()
    return controller, port, cert


def env(port: int, security: str = "none", ca: Path | None = None) -> dict:
    out = {"DOCINTAKE_SMTP_HOST": "127.0.0.1", "DOCINTAKE_SMTP_PORT": str(port), "DOCINTAKE_SMTP_SECURITY": security,
           "DOCINTAKE_NOTICE_FROM": "notices@kjj.xuchang.gov.cn", "DOCINTAKE_SMTP_TIMEOUT": "20"}
    if ca:
        out["DOCINTAKE_SMTP_CA_FILE"] = str(ca)
    return out
