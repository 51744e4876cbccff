"""A viewer must not be able to read an unmasked ID number, phone number or bank account by any URL.

The database (build.py) plants six secrets in fields, pages.text, ocr_lines, ocr_words, findings,
the audit trail, the decision comment, events and the outbox payload. The viewer then walks
the review pages, every table and view of the database in every Datasette format (HTML, .json,
_shape=array, .csv?_stream=1, every column as a facet, row pages), custom SQL, canned queries
and page images, and no response may contain a secret (whole, digits only, or its hidden middle).
"""
from __future__ import annotations

import io
import sqlite3
from urllib.parse import quote

import pytest
from PIL import Image

from . import build

DB = "docintake"

def _objects(db_path) -> dict[str, list[str]]:
    conn = sqlite3.connect(db_path)
    from intake.db import register_functions

    register_functions(conn)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def _viewer_urls(server) -> list[str]:
    sid = server["sid"]
    urls = ["/", f"/{DB}", f"/{DB}.json", "/-/review", "/-/review.json", f"/-/review?status=all",
            f"/-/review/submission/{sid}", f"/-/review/submission/{sid}.json", "/-/review/audit",
            f"/-/review/audit?submission={sid}", f"/-/review/next",
            f"/{DB}/masked_page_text?q=", f"/{DB}/masked_page_text.json?q=&_shape=array",
            f"/{DB}/masked_page_text.csv?q=&_stream=1", f"/{DB}/masked_ocr_lines.json?page_id=&_shape=array",
            f"/{DB}/masked_ocr_lines.csv?page_id=&_stream=1"]
    for name, cols in _objects(server["db"]).items():
        t = f"/{DB}/{quote(name)}"
        urls += [t, f"{t}.json", f"{t}.json?_shape=array&_size=max", f"{t}.json?_shape=objects&_labels=on",
                 f"{t}.csv?_stream=1&_size=max", f"{t}.csv?_labels=on", f"{t}/1", f"{t}/1.json"]
        urls += [f"{t}.json?_facet={quote(c)}&_size=0" for c in cols]
        urls += [f"{t}.json?_sort={quote(c)}&_shape=array" for c in cols[:3]]
    for sql in ["select * from fields", "select value, raw from fields", "select text from pages",
                "select * from ocr_lines", "select * from ocr_words", "select payload from outbox",
                "select * from audit", "select message, evidence from findings", "select * from events",
                "select lines from ocr_cache", "select * from pages_fts where pages_fts match '1101'"]:
        q = quote(sql)
        urls += [f"/{DB}?sql={q}", f"/{DB}.json?sql={q}&_shape=array", f"/{DB}.csv?sql={q}&_stream=1"]
    # parameters a canned query does not declare must not turn it into custom SQL
    urls += [f"/{DB}/masked_page_text.json?q=&sql={quote('select * from fields')}",
             f"/{DB}/fields_masked.json?_where={quote('1=1')}", f"/{DB}/submissions.json?_where={quote('1=1')}"]
    return urls


@pytest.fixture(scope="module")
def walk(server, clients):
    viewer = clients["viewer"]
    results = {}
    for url in _viewer_urls(server):
        r = viewer.get(url)
        results[url] = (r.status_code, build.leaks(r.text) if r.status_code < 400 else build.leaks(r.text))
    return results


def test_walk_covers_every_table_and_format(walk):
    assert len(walk) > 300
    ok = [u for u, (status, _) in walk.items() if status == 200]
    assert any("fields_masked.json" in u for u in ok) and any("/-/review/submission/" in u for u in ok)


def test_viewer_reads_no_secret_anywhere(walk):
    unexpected = {u: found for u, (_, found) in walk.items() if found}
    assert unexpected == {}


def test_viewer_is_refused_custom_sql_and_raw_tables(walk):
    for url, (status, _) in walk.items():
        if "sql=" in url and "masked_page_text" not in url:
            assert status == 403, url
        for raw in ("fields", "ocr_lines", "ocr_words", "pages", "findings", "audit", "events", "ocr_cache", "users"):
            if url.startswith((f"/{DB}/{raw}.", f"/{DB}/{raw}?", f"/{DB}/{raw}/")) or url == f"/{DB}/{raw}":
                assert status == 403, url


def test_viewer_cannot_read_the_outbox_payload(clients):
    for url in [f"/{DB}/outbox.json", f"/{DB}/outbox.csv?_stream=1", f"/{DB}/outbox/1.json"]:
        r = clients["viewer"].get(url)
        assert r.status_code == 403 or not build.leaks(r.text), url


def test_decision_comment_is_masked_for_viewers(clients, server):
    for url in [f"/{DB}/submissions.json", f"/{DB}/submissions.csv?_stream=1", f"/{DB}/verified_records.json",
                f"/{DB}/audit_masked.json", f"/-/review/submission/{server['sid']}",
                f"/-/review/submission/{server['sid']}.json", f"/{DB}/submissions.json?_facet=decision_comment"]:
        r = clients["viewer"].get(url)
        # either refused (the raw submissions table and the pull view) or shown masked
        assert r.status_code in (200, 403) and build.leaks(r.text) == [], url
    assert clients["viewer"].get(f"/{DB}/audit_masked.json").status_code == 200
    assert clients["viewer"].get(f"/-/review/submission/{server['sid']}").status_code == 200


def test_masked_page_search_is_not_an_oracle_for_the_hidden_digits(clients):
    """The canned query shows masked text but filters `instr(p.text, :q)` on the raw text, so a
    viewer who sees "110****002X" recovers the hidden digits one at a time (≤ 10 tries each)."""
    viewer = clients["viewer"]

    def hit(q: str) -> bool:
        r = viewer.get(f"/{DB}/masked_page_text.json", params={"q": q, "_shape": "array"})
        assert r.status_code == 200
        return bool(r.json())

    frontier = {build.ID_NUMBER[:3]}  # the head the mask shows
    for _ in range(len(build.ID_NUMBER) - 3):
        frontier = {p + c for p in frontier for c in "0123456789X" if hit(p + c)}
        assert len(frontier) <= 5  # at most a handful of requests per digit
    assert build.ID_NUMBER not in frontier, "the full ID number was recovered through the q= filter"


def test_reviewer_sees_what_the_viewer_must_not(clients, server):
    """The control: the same URLs do hold the secrets, so the viewer's clean answers mean masking."""
    r = clients["reviewer"].get(f"/-/review/submission/{server['sid']}.json")
    assert set(build.leaks(r.text)) == set(build.SECRETS)
    r = clients["reviewer"].get(f"/{DB}/fields.json?_shape=array&_size=max")
    assert set(build.leaks(r.text)) == set(build.FIELD_SECRETS)


def test_page_image_is_redacted_for_viewers(clients, server):
    page = server["pages"]["id_card"]
    x0, y0, x1, y1 = server["id_box"]
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    viewer = clients["viewer"].get(f"/-/review/page/{page}.png")
    reviewer = clients["reviewer"].get(f"/-/review/page/{page}.png")
    assert viewer.status_code == reviewer.status_code == 200
    vi = Image.open(io.BytesIO(viewer.content)).convert("RGB")
    ri = Image.open(io.BytesIO(reviewer.content)).convert("RGB")
    region = (x0 + 2, y0 + 2, x1 - 2, y1 - 2)
    assert set(vi.crop(region).getdata()) == {(60, 60, 60)}  # the whole ID-number box is blacked out
    assert len(set(ri.crop(region).getdata())) > 2  # the reviewer sees the printed digits
    assert vi.getpixel((5, 5)) == ri.getpixel((5, 5)) == (255, 255, 255)  # and the rest of the page stays
    for dtype in ("authorization_letter", "application_form", "bank_receipt"):
        r = clients["viewer"].get(f"/-/review/page/{server['pages'][dtype]}.png")
        im = Image.open(io.BytesIO(r.content)).convert("RGB")
        assert (60, 60, 60) in set(im.getdata()), dtype  # each personal field box is covered too
