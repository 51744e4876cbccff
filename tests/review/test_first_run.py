"""`make run`'s last step (`make serve`) on a real server: the queue's address and the demo
sign-in are the last lines printed, after the server's own start-up log, and both work."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_serve_prints_queue_address_and_demo_sign_in_last(built, tmp_path):
    work = tmp_path / "checkout"
    (work / "data").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", work / "Makefile")
    shutil.copy(built["db"], work / "data" / "docintake.db")
    port = _free_port()
    venv = Path(sys.executable).parent.parent
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # -o setup: the install step is what the rest of `make test` already did
    proc = subprocess.Popen(["make", "-s", "-o", "setup", "serve", f"PORT={port}", f"VENV={venv}"], cwd=work,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if "按 Ctrl+C 停止" in line:
                break
        text = "\n".join(lines)
        assert f"http://127.0.0.1:{port}/-/review" in text, text
        started = next(i for i, ln in enumerate(lines) if "Uvicorn running" in ln or "Application startup" in ln)
        address = next(i for i, ln in enumerate(lines) if "/-/review" in ln and "审核队列" in ln)
        sign_in = next(i for i, ln in enumerate(lines) if "demo / demo-review" in ln)
        assert started < address < sign_in
        # the printed address answers, and the printed sign-in works on it
        url = re.search(r"http://127\.0\.0\.1:\d+/-/review", lines[address]).group(0)
        with httpx.Client(base_url=url.rsplit("/-/", 1)[0]) as c:
            login = c.get("/-/review/login")
            token = re.search(r'name="csrftoken" value="([^"]+)"', login.text).group(1)
            r = c.post("/-/review/login", data={"username": "demo", "password": "demo-review", "csrftoken": token})
            assert r.status_code == 302 and r.headers["location"] == "/-/review"
            assert "审核队列" in c.get("/-/review").text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
