"""Build a small, realistic docintake database for the review tests (no OCR involved)."""
from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from intake.db import connect, now, transaction
from intake.model import Document, FieldValue, Seal
from intake.store import save_decision, save_documents
from review import auth

from intake.validation import decide

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
PASSWORD = "correct-horse-9"
USERS = {"admin": "admin", "shen": "reviewer", "li": "reviewer", "zhou": "viewer"}

GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"  # wrong check digit


def _font(size):
    try:
        return ImageFont.truetype(FONT, size, index=2)
    except OSError:
        return ImageFont.load_default()


def render_page(path: Path, title: str, lines: list[tuple[str, str]]) -> tuple[int, int, dict[str, tuple]]:
    """Draw a simple document; returns width, height and the value box of each line's key."""
    w, h = 1000, 700
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    d.rectangle((20, 20, w - 20, h - 20), outline=(120, 120, 120), width=3)
    d.text((w // 2 - 120, 45), title, fill="black", font=_font(48))
    boxes = {}
    y = 150
    for key, (label, value) in lines:
        d.text((70, y), label, fill=(60, 60, 60), font=_font(28))
        x0 = 330
        d.text((x0, y), value, fill="black", font=_font(28))
        x1 = int(x0 + d.textlength(value, font=_font(28)))
        boxes[key] = (x0 - 4, y - 4, x1 + 4, y + 38)
        y += 70
    d.ellipse((720, 470, 900, 650), outline=(200, 20, 20), width=6)
    im.save(path)
    return w, h, boxes


def _file(db, sid, name, status="processed", reason=None, error=None):
    return db.conn.execute(
        "INSERT INTO files (submission_id, name, sha256, ext, size, status, reason, error, page_count, received_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?)",
        (sid, name, "ab" * 32, Path(name).suffix, 1234, status, reason, error, 1, now()),
    ).lastrowid


def _page(db, file_id, image, w, h, text):
    return db.conn.execute(
        "INSERT INTO pages (file_id, number, width, height, dpi, source, engine, rotation, image_path, text) "
        "VALUES (?,?,?,?,?,?,?,?,?,?)",
        (file_id, 1, w, h, 200, "ocr", "test", 0, str(image), text),
    ).lastrowid


def build(tmp: Path, users: bool = True) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    db_path = tmp / "docintake.db"
    db = connect(db_path)
    ids = {"db": db_path}
    with transaction(db):
        sid = db.conn.execute(
            "INSERT INTO submissions (name, source_path, received_at, as_of, packet, status) VALUES (?,?,?,?,?,?)",
            ("2026-11-20 许昌恒达科技", "inbox/2026-11-20 许昌恒达科技", "2026-11-20T01:30:00.000+00:00",
             "2026-11-20", "membership_application", "processing"),
        ).lastrowid
        ids["sid"] = sid
        lic_lines = [
            ("name", ("名称", "许昌恒达科技有限公司")),
            ("uscc", ("统一社会信用代码", "91411000MA47M7QPXU")),
            ("legal_representative", ("法定代表人", "王建国")),
            ("term_end", ("营业期限", "长期")),
        ]
        w, h, boxes = render_page(tmp / "license.png", "营业执照", lic_lines)
        f_lic = _file(db, sid, "营业执照.jpg")
        # the archived original (a JPEG, as it was dropped in the inbox)
        (tmp / "archive").mkdir(exist_ok=True)
        Image.open(tmp / "license.png").convert("RGB").save(tmp / "archive" / "license-original.jpg", quality=90)
        db.conn.execute("UPDATE files SET archive_path = ?, ext = '.jpg' WHERE id = ?",
                        (str(tmp / "archive" / "license-original.jpg"), f_lic))
        ids["license_file"] = f_lic
        ids["license_page"] = _page(db, f_lic, tmp / "license.png", w, h, "营业执照\n名称 许昌恒达科技有限公司")
        lic = Document("business_license", [1], 0.97, file="营业执照.jpg")
        confs = {"name": 0.96, "uscc": 0.93, "legal_representative": 0.62, "term_end": 0.9}
        for key, (_, value) in lic_lines:
            lic.fields[key] = FieldValue(value, confs[key], 1, boxes[key], "label", value)
        lic.seals.append(Seal(1, (720, 470, 900, 650), "red", "round", "许昌恒达科技有限公司", 0.9))
        save_documents(db, sid, f_lic, [lic])

        id_lines = [
            ("name", ("姓名", "李明")),
            ("sex", ("性别", "男")),
            ("address", ("住址", "河南省许昌市魏都区七一路18号")),
            ("id_number", ("公民身份号码", BAD_ID)),
        ]
        w, h, boxes = render_page(tmp / "idcard.png", "居民身份证", id_lines)
        f_id = _file(db, sid, "身份证.jpg")
        ids["id_page"] = _page(db, f_id, tmp / "idcard.png", w, h, f"姓名 李明\n公民身份号码 {BAD_ID}")
        card = Document("id_card", [1], 0.95, file="身份证.jpg")
        for key, (_, value) in id_lines:
            card.fields[key] = FieldValue(value, 0.7 if key == "id_number" else 0.95, 1, boxes[key], "label", value)
        save_documents(db, sid, f_id, [card])
        ids["quarantined_file"] = _file(db, sid, "授权委托书.pdf", "quarantined", "corrupt", "文件已损坏，无法打开。")
        save_decision(db, sid, decide([lic, card], date(2026, 11, 21)))

        sid2 = db.conn.execute(
            "INSERT INTO submissions (name, received_at, as_of, packet, status) VALUES (?,?,?,?,?)",
            ("2026-11-21 长葛精工", "2026-11-21T02:00:00.000+00:00", "2026-11-21", "membership_application",
             "processing"),
        ).lastrowid
        ids["sid2"] = sid2
        w, h, boxes = render_page(tmp / "license2.png", "营业执照", [("name", ("名称", "长葛精工机械有限公司"))])
        f2 = _file(db, sid2, "license.png")
        ids["license2_page"] = _page(db, f2, tmp / "license2.png", w, h, "营业执照 长葛精工机械有限公司")
        lic2 = Document("business_license", [1], 0.98, file="license.png")
        lic2.fields["name"] = FieldValue("长葛精工机械有限公司", 0.97, 1, boxes["name"], "label")
        save_documents(db, sid2, f2, [lic2])
        save_decision(db, sid2, decide([lic2], date(2026, 11, 21)))

        sid3 = db.conn.execute(
            "INSERT INTO submissions (name, received_at, packet, status) VALUES (?,?,?,?)",
            ("2026-11-22 扫描件损坏", "2026-11-22T02:00:00.000+00:00", "unknown", "quarantined"),
        ).lastrowid
        ids["sid3"] = sid3
        _file(db, sid3, "scan.pdf", "quarantined", "encrypted", "文件已加密。")
    if users:
        for name, role in USERS.items():
            auth.add_user(db, name, role, PASSWORD, display_name={"admin": "管理员", "shen": "沈审核",
                                                                  "li": "李审核", "zhou": "周查看"}[name])
    db.conn.close()
    return ids


def query(built, sql, params=()):
    """Rows of ``sql`` on the built review database (tests read the store directly)."""
    conn = sqlite3.connect(built["db"])
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def sign_in(page, server, name="shen", then=None):
    """Sign in through the real form in a Playwright page (optionally with ?next=)."""
    page.goto(server + "/-/review/login" + (f"?next={then}" if then else ""))
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
