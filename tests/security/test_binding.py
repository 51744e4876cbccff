"""`docintake review` listens on 127.0.0.1 only, unless told otherwise."""
from __future__ import annotations

import socket
import subprocess

import pytest

from .conftest import DOCINTAKE, ROOT


def _listeners(port: int) -> list[str]:
    """Local addresses of LISTEN sockets on `port`, from /proc/net/tcp and tcp6 (hex as the kernel prints)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            addr, hexport = parts[1].rsplit(":", 1)
            if int(hexport, 16) == port and parts[3] == "0A":  # 0A = LISTEN
                found.append(addr)
    return found


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") or addr == "0.0.0.0" else addr


def test_review_server_listens_on_loopback_only(server):
    port = server["port"]
    assert _listeners(port) == ["0100007F"]  # 127.0.0.1, nothing on 0.0.0.0 or ::
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    other = _non_loopback_address()
    if other is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError):
        with socket.create_connection((other, port), timeout=2):
            pass


def test_docintake_review_and_users_commands_exist():
    for cmd in (["review", "--help"], ["users", "add", "--help"]):
        out = subprocess.run(DOCINTAKE + cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "--db" in out.stdout
    out = subprocess.run(DOCINTAKE + ["review", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "127.0.0.1" in out.stdout  # the documented default
