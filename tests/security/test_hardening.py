"""Issue 13 items 10, 11, 13, 14, 16, 18 against a real `docintake review` server.

Every test that signs in with a wrong password does so from its own loopback address
(127.0.0.x: the kernel routes all of 127/8 to the server), so that the per-client sign-in limit
it trips does not lock out the other tests' clients.
"""
from __future__ import annotations

import json
import re
import socket
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from click.testing import CliRunner

from intake.db import connect
from review import auth, throttle
from review.cli import users_add

from . import build
from .conftest import free_port, login, start_review, stop

DB = "docintake"


def client_from(base: str, address: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=60, follow_redirects=False,
                        transport=httpx.HTTPTransport(local_address=address))


def _login_form(c: httpx.Client) -> str:
    r = c.get("/-/review/login")
    return re.search(r'name="csrftoken" value="([^"]+)"', r.text).group(1)


def _attempt(base: str, address: str, username: str, password: str) -> int:
    with client_from(base, address) as c:
        token = _login_form(c)
        return c.post("/-/review/login", data={"username": username, "password": password,
                                               "csrftoken": token}).status_code


def _query(db_path, sql, params=()):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# ------------------------------------------------------------------ 10: admins' SQL

def test_admin_sql_reads_no_password_hash_and_no_unmasked_outbox(server, clients):
    admin = clients["admin"]
    assert _query(server["db"], "SELECT COUNT(*) FROM outbox")[0][0] >= 1
    for sql in ["select password_hash from users", "select * from users", "select payload from outbox",
                "select * from outbox", "select * from deliveries", "select u.password_hash from users_public p "
                "join users u on u.id = p.id", "select group_concat(payload) from outbox",
                "select substr(password_hash, 1, 10) as h from users", "select * from login_attempts"]:
        r = admin.get(f"/{DB}.json", params={"sql": sql, "_shape": "array"})
        assert r.status_code in (200, 400, 403), (sql, r.status_code)
        assert "$argon2" not in r.text and not build.leaks(r.text), sql
        if r.status_code == 200:
            for row in r.json():
                for key in ("password_hash", "payload", "h", "group_concat(payload)"):
                    assert row.get(key) is None, (sql, row)
    for table in ("users", "outbox", "deliveries", "sessions", "login_attempts"):
        assert admin.get(f"/{DB}/{table}.json").status_code == 403, table
    # what the admin legitimately reads still works
    r = admin.get(f"/{DB}.json", params={"sql": "select username, role from users", "_shape": "array"})
    assert r.status_code == 200 and {u["username"] for u in r.json()} >= set(build.USERS)
    assert admin.get("/-/review/users").status_code == 200


# ------------------------------------------------------------------ 11: throttling

def test_twenty_parallel_wrong_passwords_get_at_most_the_limit_of_tries(server):
    before = _query(server["db"], "SELECT COUNT(*) FROM login_attempts")[0][0]
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda _: _attempt(server["base"], "127.0.0.21", "sadmin", "wrong-password-xx"),
                              range(20)))
    assert codes.count(401) <= throttle.CLIENT_LIMIT, codes
    assert codes.count(429) >= 20 - throttle.CLIENT_LIMIT, codes
    assert set(codes) <= {401, 429}
    # persisted in SQLite, not in process memory
    assert _query(server["db"], "SELECT COUNT(*) FROM login_attempts WHERE client = '127.0.0.21'")[0][0] == \
        codes.count(401)
    assert _query(server["db"], "SELECT COUNT(*) FROM login_attempts")[0][0] == before + codes.count(401)
    # the real admin, on their own machine, is not locked out
    with client_from(server["base"], "127.0.0.22") as c:
        token = _login_form(c)
        r = c.post("/-/review/login", data={"username": "sadmin", "password": build.PASSWORD, "csrftoken": token})
        assert r.status_code == 302


def test_many_failing_clients_lock_the_account_briefly_but_not_for_a_clean_client(server):
    name = "throttle-target"
    db = connect(server["db"])
    auth.add_user(db, name, "reviewer", build.PASSWORD)
    db.conn.close()
    per = throttle.CLIENT_LIMIT - 1
    addresses = [f"127.0.1.{i}" for i in range(1, throttle.ACCOUNT_LIMIT // per + 2)]
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda a: _attempt(server["base"], a, name, "wrong-password-yy"),
                              [a for a in addresses for _ in range(per)]))
    # once the account is locked, each client gets at most its first try (a client with no
    # failure is presumed to be the real user)
    assert codes.count(401) <= throttle.ACCOUNT_LIMIT + len(addresses), codes
    assert 429 in codes
    # a failing client is refused even with the right password ...
    assert _attempt(server["base"], addresses[0], name, build.PASSWORD) == 429
    # ... a clean one signs in
    assert _attempt(server["base"], "127.0.2.1", name, build.PASSWORD) == 302


# ------------------------------------------------------------------ 13: sessions

def test_a_copied_cookie_stops_working_after_logout_and_after_a_password_change(server):
    name = "session-user"
    db = connect(server["db"])
    auth.add_user(db, name, "reviewer", build.PASSWORD)
    db.conn.close()
    for end in ("logout", "password"):
        c = login(server["base"], name)
        stolen = httpx.Client(base_url=server["base"], follow_redirects=False,
                              cookies={"docintake_session": c.cookies["docintake_session"]})
        assert stolen.get("/-/review", headers={"accept": "application/json"}).status_code == 200
        if end == "logout":
            token = c.cookies["ds_csrftoken"]
            assert c.post("/-/review/logout", data={"csrftoken": token}).status_code == 302
        else:
            db = connect(server["db"])
            auth.update_user(db, name, "sadmin", password="another-password-42")
            auth.update_user(db, name, "sadmin", password=build.PASSWORD)
            db.conn.close()
        r = stolen.get("/-/review", headers={"accept": "application/json"})
        assert r.status_code == 403 and "Sign in first" in r.text, end
        assert c.get("/-/review", headers={"accept": "application/json"}).status_code == 403, end
        stolen.close()
        c.close()
    rows = _query(server["db"], "SELECT revoked_at FROM sessions s JOIN users u ON u.id = s.user_id "
                                "WHERE u.username = ?", (name,))
    assert len(rows) == 2 and all(r[0] for r in rows)
    # the table keeps a hash, not the cookie value
    assert all(len(r[0]) == 64 for r in _query(server["db"], "SELECT id FROM sessions"))


# ------------------------------------------------------------------ 14: other origins, framing

def _state(db_path):
    return _query(db_path, "SELECT group_concat(version || status || coalesce(decision_comment, '')) FROM submissions")


def test_post_from_another_origin_is_refused_even_with_the_token(server, clients):
    admin = clients["admin"]
    token = admin.cookies["ds_csrftoken"]
    before = _state(server["db"])
    other = f"http://127.0.0.1:{free_port()}"
    form = {"csrftoken": token, "version": "3", "decision": "reject", "comment": "CSRF"}
    for headers in ({"origin": other}, {"origin": "null"}, {"sec-fetch-site": "same-site"},
                    {"sec-fetch-site": "cross-site"}, {"origin": f"http://localhost:{server['port']}"},
                    {"origin": other, "sec-fetch-site": "same-origin"}):
        r = admin.post(f"/-/review/submission/{server['sid']}/decide", data=form, headers=headers)
        assert r.status_code == 403 and "其他网站" in r.text, (headers, r.status_code)
    assert _state(server["db"]) == before
    # same origin passes this check (and reaches the view, which refuses for its own reasons)
    r = admin.post(f"/-/review/submission/{server['sid']}/decide", data={**form, "version": "0"},
                   headers={"origin": server["base"], "sec-fetch-site": "same-origin"})
    assert r.status_code != 403 or "其他网站" not in r.text


def test_every_response_forbids_framing(server, clients, anon):
    for c, path in ((anon, "/-/review/login"), (clients["reviewer"], "/-/review"),
                    (clients["admin"], f"/{DB}"), (anon, "/-/review")):
        r = c.get(path)
        assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", ""), path
        assert r.headers.get("x-frame-options") == "DENY", path


def test_behind_https_cookies_are_host_prefixed_and_secure(sec_db, tmp_path):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"plugins": {"docintake-review": {"https": True}}}))
    port = free_port()
    proc = start_review(sec_db["db"], port, ["--metadata", str(meta)])
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False) as c:
            page = c.get("/-/review/login")
            csrf = [h for h in page.headers.get_list("set-cookie") if h.startswith("ds_csrftoken=")]
            assert csrf and all("secure" in h.lower() for h in csrf)
            token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
            r = c.post("/-/review/login", data={"username": "srev", "password": build.PASSWORD,
                                                "csrftoken": token},
                       cookies={"ds_csrftoken": page.cookies["ds_csrftoken"]})
            assert r.status_code == 302
            (cookie,) = [h for h in r.headers.get_list("set-cookie") if "docintake_session" in h]
            assert cookie.startswith("__Host-docintake_session=")
            attrs = [a.strip().lower() for a in cookie.split(";")]
            assert "secure" in attrs and "path=/" in attrs and not any(a.startswith("domain") for a in attrs)
    finally:
        stop(proc)


# ------------------------------------------------------------------ 16: body caps, passwords

def _raw(port: int, head: str, body: bytes = b"", timeout: float = 10) -> tuple[int, float]:
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode("latin-1") + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1]), time.monotonic() - start


def test_a_64_mb_login_body_is_refused_before_it_is_read(server):
    head = (f"POST /-/review/login HTTP/1.1\r\nHost: 127.0.0.1:{server['port']}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nCookie: ds_csrftoken=x\r\n"
            f"Content-Length: {64 * 1024 * 1024}\r\nConnection: close\r\n\r\n")
    status, _ = _raw(server["port"], head, b"password=" + b"a" * 1000)
    assert status == 413
    # chunked, no length announced: cut off once over the cap
    head = (f"POST /-/review/login HTTP/1.1\r\nHost: 127.0.0.1:{server['port']}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nCookie: ds_csrftoken=x\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    chunk = b"a" * 65536
    body = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(4))
    status, _ = _raw(server["port"], head, b"9\r\npassword=\r\n" + body)
    assert status == 413
    with httpx.Client(base_url=server["base"]) as c:
        token = _login_form(c)
        r = c.post("/-/review/login", data={"username": "srev", "password": "p" * 5000, "csrftoken": token})
        assert r.status_code in (401, 413) and "docintake_session" not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize("password,role", [
    (" " * 12, "admin"), ("12345678", "admin"), ("12345678", "viewer"), ("password123", "reviewer"),
    ("shortpw9", "reviewer"), ("x" * 300, "admin"), ("policy-user", "admin"), ("Policy-User", "reviewer"),
    ("aaaaaaaaaaaa", "admin"),
])
def test_password_policy_refuses_weak_passwords(tmp_path, password, role):
    db = connect(tmp_path / "d.db")
    with pytest.raises(auth.UsageError):
        auth.add_user(db, "policy-user", role, password)
    auth.add_user(db, "policy-user", role, "kettle-harbour-41")
    db.conn.close()


def test_users_add_reads_the_password_from_stdin_never_the_command_line(tmp_path):
    db_path = tmp_path / "d.db"
    runner = CliRunner()
    r = runner.invoke(users_add, ["boss", "--role", "admin", "--db", str(db_path), "--password", "x" * 12])
    assert r.exit_code == 2  # no such option
    r = runner.invoke(users_add, ["boss", "--role", "admin", "--db", str(db_path), "--password-stdin"],
                      input="kettle-harbour-41\n")
    assert r.exit_code == 0, r.output
    db = connect(db_path)
    assert auth.authenticate(db, "boss", "kettle-harbour-41") is not None
    db.conn.close()
    r = runner.invoke(users_add, ["weak", "--role", "admin", "--db", str(db_path), "--password-stdin"],
                      input="12345678\n")
    assert r.exit_code != 0 and "密码" in r.output


# ------------------------------------------------------------------ 18: smaller ones

def test_odd_ids_are_404_not_500(server, clients):
    admin = clients["admin"]
    token = admin.cookies["ds_csrftoken"]
    big = "9" * 30
    for path in [f"/-/review/submission/{big}", f"/-/review/submission/{big}.json", f"/-/review/page/{big}.png",
                 "/-/review/submission/²", "/-/review/submission/٣", "/-/review/page/².png"]:
        r = admin.get(path)
        assert r.status_code == 404, (path, r.status_code)
    for path in ["/-/review/next?after=²", f"/-/review/next?after={big}", "/-/review/audit?submission=²",
                 f"/-/review/audit?submission={big}"]:
        assert admin.get(path).status_code in (200, 302), path
    for path, form in [(f"/-/review/submission/{big}/field", {"version": "1"}),
                       (f"/-/review/submission/{big}/decide", {"version": "1", "decision": "approve"}),
                       (f"/-/review/file/{big}/requeue", {"version": "1", "submission_id": big})]:
        r = admin.post(path, data={**form, "csrftoken": token})
        assert r.status_code in (400, 404, 501), (path, r.status_code)


def test_the_only_admin_cannot_demote_himself_in_another_case(server, clients):
    admin = clients["admin"]
    token = admin.cookies["ds_csrftoken"]
    for name in ("SADMIN", "sAdmin", " sadmin "):
        for change in ({"role": "viewer"}, {"active": "0"}):
            r = admin.post("/-/review/users", data={"csrftoken": token, "action": "update", "username": name,
                                                     **change})
            assert r.status_code == 400, (name, change)
    assert _query(server["db"], "SELECT role, active FROM users WHERE username = 'sadmin'") == [("admin", 1)]
