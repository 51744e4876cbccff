"""A viewer sees none of what careless staff and OCR put where masking used not to look
(issue 13 items 8, 9, 18): numbers read with letters for digits or glued to words, a second
occurrence with no field box, a spaced address, numbers in folder and file names, server paths
and other users' names - on every review page, JSON answer, canned query and page image."""
from __future__ import annotations

import io
import re

from PIL import Image

from . import build
from .masking_props import leaked

DB = "docintake"


ADMIN_ONLY_HTML = {f"/{DB}/masked_page_text?q=", f"/{DB}/review_queue", f"/{DB}/audit_masked"}


def _viewer_texts(server, clients) -> dict[str, str]:
    viewer = clients["viewer"]
    h = server["hostile"]
    urls = ["/-/review", "/-/review.json", "/-/review?status=all", "/-/review.json?status=all",
            f"/-/review/submission/{h['sid']}", f"/-/review/submission/{h['sid']}.json", "/-/review/audit",
            f"/-/review/audit?submission={h['sid']}", f"/{DB}/masked_page_text.json?q=&_shape=array",
            f"/{DB}/masked_page_text?q=", f"/{DB}/masked_ocr_lines.json?page_id=&_shape=array",
            f"/{DB}/masked_ocr_lines.csv?page_id=&_stream=1", f"/{DB}/review_queue.json?_shape=array",
            f"/{DB}/review_queue", f"/{DB}/fields_masked.json?_shape=array&_size=max", f"/{DB}/audit_masked.json?_size=max",
            f"/{DB}/audit_masked", f"/{DB}/review_queue.json?_shape=array&_size=max"]
    out = {}
    for url in urls:
        r = viewer.get(url, headers={"accept": "application/json"} if ".json" in url or url.endswith("review")
                       else {})
        if url in ADMIN_ONLY_HTML:  # Datasette's HTML pages are for admins (issue 14 item 4)
            assert r.status_code == 403 and "仅供管理员使用" in r.text, (url, r.status_code)
        else:
            assert r.status_code == 200, (url, r.status_code)
        out[url] = r.content.decode("utf-8")
    return out


def _unescaped(text: str) -> str:
    # JSON answers escape Chinese as \\uXXXX
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def test_viewer_sees_no_hostile_number_name_address_path_or_staff_name(server, clients):
    texts = _viewer_texts(server, clients)
    h = server["hostile"]
    for url, text in texts.items():
        text = _unescaped(text)
        for key, value in build.HOSTILE_SECRETS.items():
            assert not leaked(value, text), (url, key)
        assert "长村张乡" not in re.sub(r"\s", "", text), url
        assert "/archive/" not in text and "/inbox/" not in text and str(server["db"].parent) not in text, url
        assert "srev" not in text and "sadmin" not in text, url  # other staff's names (and roles)
    # the viewer still gets the masked form, not nothing
    page = _unescaped(texts[f"/-/review/submission/{h['sid']}.json"])
    assert f"张三_{build.HOSTILE_ID[:3]}****{build.HOSTILE_ID[-4:]}_身份证.jpg" in page
    assert "河南省许昌市****" in _unescaped(texts[f"/{DB}/masked_page_text.json?q=&_shape=array"])


def test_the_reviewer_does_see_them(server, clients):
    h = server["hostile"]
    text = clients["reviewer"].get(f"/-/review/submission/{h['sid']}.json").text
    assert build.HOSTILE_ID in text and build.HOSTILE_MOBILE in _unescaped(text)


def test_viewers_cannot_read_files_users_or_other_tables_in_datasette(clients):
    viewer = clients["viewer"]
    for table in ("files", "documents", "users_public", "personal_keys", "schema_version", "override_reasons",
                  "sessions", "login_attempts", "pages_fts"):
        assert viewer.get(f"/{DB}/{table}.json").status_code == 403, table


def test_page_image_redacts_every_occurrence_for_viewers(server, clients):
    h = server["hostile"]
    viewer = Image.open(io.BytesIO(clients["viewer"].get(f"/-/review/page/{h['page']}.png").content)).convert("RGB")
    reviewer = Image.open(io.BytesIO(clients["reviewer"].get(f"/-/review/page/{h['page']}.png").content)).convert("RGB")
    for i, (key, text) in enumerate(build.HOSTILE_LINES):
        x0, y0, x1, y1 = h["boxes"][i]
        # the number itself: the right part of the line (labels may stay readable)
        region = (x1 - 60, y0 + 6, x1 - 6, y1 - 6)
        if i in (1, 3, 4, 5):
            assert set(viewer.crop(region).getdata()) == {(60, 60, 60)}, (i, text)
            assert len(set(reviewer.crop(region).getdata())) > 2, (i, text)
        if i == 0:
            assert viewer.crop((x0, y0, x1, y1)).tobytes() == reviewer.crop((x0, y0, x1, y1)).tobytes()
