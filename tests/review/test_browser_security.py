"""Issue 13 items 12-14 in a real browser (Debian's Chromium via Playwright): where `next` can
send a signed-in user, a page on a second local port submitting as the signed-in reviewer,
and a copied cookie after sign-out."""
from __future__ import annotations

import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from . import builder
from .test_browser import CHROMIUM, page, server  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Chromium not installed"),
]


def _sign_in(page, server, name="shen", next_target=None):
    url = server + "/-/review/login" + (f"?next={next_target}" if next_target else "")
    page.goto(url)
    page.fill("#username", name)
    page.fill("#password", builder.PASSWORD)
    with page.expect_navigation(wait_until="commit"):
        page.click("button[type=submit]")


OFFSITE_NEXT = [
    "/%09/evil.example/", "/%5C/evil.example/", "//evil.example/", "/%0a/evil.example/", "/%0d%0a/evil.example/",
    "https://evil.example/", "%2F%2Fevil.example/", "/%09%09/evil.example/", "%5C%5Cevil.example/",
    "/%E3%80%80/evil.example/", "http:/evil.example/",
]


def test_next_after_sign_in_never_leaves_the_site(page, server):
    browser = page.context.browser
    for next_target in OFFSITE_NEXT:
        context = browser.new_context()  # signed out, no cookies
        try:
            pg = context.new_page()
            pg.set_default_timeout(15_000)
            _sign_in(pg, server, next_target=next_target)
            pg.wait_for_load_state("domcontentloaded")
            assert pg.url.startswith(server + "/"), (next_target, pg.url)
            # signed in already: the sign-in page's GET redirect is checked the same way
            with pg.expect_navigation(wait_until="commit"):
                pg.goto(server + f"/-/review/login?next={next_target}", wait_until="commit")
            assert pg.url.startswith(server + "/"), (next_target, pg.url)
        finally:
            context.close()


def test_next_keeps_an_internal_path(page, server, built):
    _sign_in(page, server, next_target=f"/-/review/submission/{built['sid2']}")
    page.wait_for_url(f"{server}/-/review/submission/{built['sid2']}")


class _Attacker(BaseHTTPRequestHandler):
    """A page on another port of the same host: reads the CSRF cookie (not HttpOnly, and cookies
    do not separate ports) and posts the decision form to the review server."""

    target = ""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = f"""<!DOCTYPE html><html><body>
<form id="f" method="post" action="{self.target}">
  <input name="decision" value="reject"><input name="comment" value="csrf from another port">
  <input name="version" value="1"><input id="t" name="csrftoken" value="">
</form>
<script>
  const m = document.cookie.match(/(?:^|; )ds_csrftoken=([^;]+)/);
  document.getElementById("t").value = m ? decodeURIComponent(m[1]) : "";
  document.getElementById("f").submit();
</script></body></html>""".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_page_on_another_local_port_cannot_submit_as_the_reviewer(page, server, built):
    _sign_in(page, server)
    page.wait_for_load_state("domcontentloaded")
    sid = built["sid2"]
    handler = type("Attacker", (_Attacker,), {"target": f"{server}/-/review/submission/{sid}/decide"})
    evil = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=evil.serve_forever, daemon=True)
    thread.start()
    try:
        with page.expect_navigation(url=f"{server}/-/review/submission/{sid}/decide", wait_until="load"):
            page.goto(f"http://127.0.0.1:{evil.server_address[1]}/")
        assert "其他网站" in page.content()
    finally:
        evil.shutdown()
        evil.server_close()
    conn = sqlite3.connect(built["db"])
    try:
        row = conn.execute("SELECT status, decision, version FROM submissions WHERE id = ?", (sid,)).fetchone()
        actions = conn.execute("SELECT COUNT(*) FROM audit WHERE action IN ('approve', 'reject')").fetchone()[0]
    finally:
        conn.close()
    assert row[1] is None and row[2] == 1 and actions == 0


def test_a_copied_cookie_stops_working_after_sign_out(page, server):
    _sign_in(page, server)
    page.wait_for_url(server + "/-/review")
    copied = page.context.cookies()
    page.click("form[action='/-/review/logout'] button")
    page.wait_for_url("**/-/review/login")
    other = page.context.browser.new_context()
    try:
        other.add_cookies(copied)
        thief = other.new_page()
        thief.goto(server + "/-/review")
        assert "/-/review/login" in thief.url
    finally:
        other.close()
