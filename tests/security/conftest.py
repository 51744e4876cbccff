"""One real `docintake review` server (subprocess, loopback, free port) over a database built by
`build.py`, shared by the security tests; signed-in httpx clients for each role."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from . import build

ROOT = Path(__file__).resolve().parents[2]
DOCINTAKE = [sys.executable, "-c", "from intake.cli import main; main()"]
# `docintake review` is `review.cli.review_command`; it is run directly so that the security tests
# do not depend on the command's wiring into `docintake` (checked on its own in test_binding.py).
REVIEW = [sys.executable, "-c", "import sys; from review.cli import review_command; "
          "review_command(sys.argv[1:], prog_name='docintake review')"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(proc: subprocess.Popen, port: int, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}: {server_log(proc)[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start listening")


def start_review(db_path: Path, port: int, extra: list[str] | None = None) -> subprocess.Popen:
    """`docintake review --db DB --port N` exactly as a user runs it (no --host: the default).

    The server's log goes to DB.review.log (a pipe nobody reads would fill up and block the server).
    """
    env = dict(os.environ)
    env.pop("DATASETTE_SECRET", None)
    log = open(Path(db_path).with_suffix(".review.log"), "ab")
    proc = subprocess.Popen(REVIEW + ["--db", str(db_path), "--port", str(port)] + (extra or []),
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    proc.log_path = Path(log.name)
    wait_listening(proc, port)
    return proc


def server_log(proc: subprocess.Popen) -> str:
    return proc.log_path.read_text(errors="replace")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def login(base: str, username: str, password: str = build.PASSWORD) -> httpx.Client:
    """A client holding the session and CSRF cookies of a signed-in user."""
    c = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    r = c.get("/-/review/login")
    assert r.status_code == 200
    token = re.search(r'name="csrftoken" value="([^"]+)"', r.text).group(1)
    r = c.post("/-/review/login", data={"username": username, "password": password, "csrftoken": token})
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert "docintake_session" in c.cookies
    return c


@pytest.fixture(scope="session")
def sec_db(tmp_path_factory) -> dict:
    return build.build(tmp_path_factory.mktemp("security") / "data")


@pytest.fixture(scope="session")
def server(sec_db):
    port = free_port()
    proc = start_review(sec_db["db"], port)
    yield {"base": f"http://127.0.0.1:{port}", "port": port, "proc": proc, **sec_db}
    stop(proc)


@pytest.fixture(scope="session")
def clients(server):
    made = {role: login(server["base"], name) for name, role in build.USERS.items()}
    yield made
    for c in made.values():
        c.close()


@pytest.fixture
def anon(server):
    with httpx.Client(base_url=server["base"], timeout=30, follow_redirects=False) as c:
        yield c
