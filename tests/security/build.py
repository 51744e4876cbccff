"""A docintake database full of personal data in every place it can hide (no OCR, no ingest).

Rows are written the way the pipeline and the review UI write them: `intake.store.save_documents`
for documents and fields, `save_decision` for findings, `review.auth.add_user` for users,
`review.audit.record` for the audit trail and `intake.push.enqueue` for the outbox. Every secret
below is planted in fields, raw OCR text (pages, lines, words), findings, the audit trail, the
decision comment and the outbox payload, so the masking tests can look for it everywhere.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from extractors.codes import idno_check_char
from intake.db import connect, now, transaction
from intake.model import Document, FieldValue, Finding
from intake.store import save_decision, save_documents

PASSWORD = "sec-test-password-9"
USERS = {"sadmin": "admin", "srev": "reviewer", "sview": "viewer"}

ID_NUMBER = "11010519491231002X"  # GB 11643's own example (valid)
_AGENT17 = "41100219850612301"
AGENT_ID = _AGENT17 + idno_check_char(_AGENT17)
MOBILE = "13937461528"
PHONE = "0374-2961357"
PAYER_ACCOUNT = "6222021708004417356"
PAYEE_ACCOUNT = "41050166890800000123"

# Written by a reviewer into free text only (the decision comment), not into any field.
COMMENT_MOBILE = "13698765432"
COMMENT_ACCOUNT = "6217001830012345678"

FIELD_SECRETS = {
    "id_number": ID_NUMBER,
    "agent_id_number": AGENT_ID,
    "mobile": MOBILE,
    "phone": PHONE,
    "payer_account": PAYER_ACCOUNT,
    "payee_account": PAYEE_ACCOUNT,
}
SECRETS = {**FIELD_SECRETS, "comment_mobile": COMMENT_MOBILE, "comment_account": COMMENT_ACCOUNT}


# A second submission as careless staff and OCR make it (issue 13 items 8-9): the ID number is
# read with letters for digits and printed a second time where no field box is, the mobile
# number is glued to "tel" and dotted, the address is spaced, and the folder and file names
# typed by staff carry the numbers.
_HOSTILE17 = "41102319900307452"
HOSTILE_ID = _HOSTILE17 + idno_check_char(_HOSTILE17)
HOSTILE_MOBILE = "15837469201"
HOSTILE_ADDRESS = "河南省许昌市建安区长村张乡张庄村8号"
HOSTILE_SECRETS = {"id": HOSTILE_ID, "mobile": HOSTILE_MOBILE}


def _confused(number: str) -> str:
    return number.replace("0", "O").replace("1", "l", 1)


HOSTILE_LINES = [
    ("name", "姓名 张三"),
    ("id_number", f"公民身份号码 {_confused(HOSTILE_ID)}"),
    ("address", "住址 河南省许昌市建安区 长村张乡 张庄村 8 号"),
    (None, f"ID{HOSTILE_ID}"),
    (None, f"tel{HOSTILE_MOBILE}"),
    (None, f"备用 {HOSTILE_MOBILE[:3]}.{HOSTILE_MOBILE[3:7]}.{HOSTILE_MOBILE[7:]}"),
]


def forbidden_fragments() -> dict[str, list[str]]:
    """For each secret, the strings whose presence in a response means it leaked.

    The whole value, its digits only, and its hidden middle (what masking replaces by ****).
    """
    out = {}
    for key, value in SECRETS.items():
        digits = "".join(c for c in value if c.isdigit() or c in "Xx")
        frags = {value, digits, digits[3:-4]}
        out[key] = sorted(f for f in frags if len(f) >= 6)
    return out


def leaks(text: str) -> list[str]:
    """The secrets found in `text` (JSON escapes of non-ASCII do not matter: the secrets are ASCII)."""
    return sorted(k for k, frags in forbidden_fragments().items() if any(f in text for f in frags))


def _font(size: int):
    try:
        return ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", size, index=2)
    except OSError:
        return ImageFont.load_default()


def _image(path: Path, lines: list[str]) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    w, h = 900, 120 + 60 * len(lines)
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    boxes = []
    for i, text in enumerate(lines):
        y = 60 + 60 * i
        d.text((60, y), text, fill="black", font=_font(30))
        boxes.append((56, y - 4, int(60 + d.textlength(text, font=_font(30))) + 4, y + 42))
    im.save(path)
    return w, h, boxes


def _file(db, sid: int, name: str, sha: str) -> int:
    return db.conn.execute(
        "INSERT INTO files (submission_id, name, sha256, ext, size, status, page_count, received_at, processed_at) "
        "VALUES (?,?,?,?,?, 'processed', 1, ?, ?)",
        (sid, name, sha, Path(name).suffix, 1000, now(), now()),
    ).lastrowid


def _page(db, file_id: int, image: Path, w: int, h: int, lines: list[str], boxes) -> int:
    pid = db.conn.execute(
        "INSERT INTO pages (file_id, number, width, height, dpi, source, engine, rotation, image_path, text) "
        "VALUES (?, 1, ?, ?, 200, 'ocr', 'test', 0, ?, ?)",
        (file_id, w, h, str(image), "\n".join(lines)),
    ).lastrowid
    db.conn.executemany(
        "INSERT INTO ocr_lines (page_id, idx, text, x0, y0, x1, y1, confidence) VALUES (?,?,?,?,?,?,?,0.95)",
        [(pid, i, t, *b) for i, (t, b) in enumerate(zip(lines, boxes))],
    )
    db.conn.executemany(
        "INSERT INTO ocr_words (page_id, line_idx, text, x0, y0, x1, y1, confidence) VALUES (?,?,?,?,?,?,?,0.95)",
        [(pid, i, word, *b) for i, (t, b) in enumerate(zip(lines, boxes)) for word in t.split(" ")],
    )
    return pid


def _hostile(db, folder: Path) -> dict:
    sid = db.conn.execute(
        "INSERT INTO submissions (name, source_path, received_at, as_of, packet, status, updated_at) "
        "VALUES (?,?,?,?,?,?,?)",
        (f"2026-11-22 张三_{HOSTILE_MOBILE}", str(folder / "inbox" / f"张三_{HOSTILE_MOBILE}"),
         "2026-11-22T01:30:00.000+00:00", "2026-11-22", "membership_application", "needs_review", now()),
    ).lastrowid
    fname = f"张三_{HOSTILE_ID}_身份证.jpg"
    fid = _file(db, sid, fname, f"{99:064x}")
    db.conn.execute("UPDATE files SET archive_path = ? WHERE id = ?", (str(folder / "archive" / fname), fid))
    image = folder / "hostile_id_card.png"
    lines = [t for _, t in HOSTILE_LINES]
    w, h, boxes = _image(image, lines)
    pid = _page(db, fid, image, w, h, lines, boxes)
    doc = Document("id_card", [1], 0.95, file=fname)
    values = {"name": "张三", "id_number": HOSTILE_ID, "address": HOSTILE_ADDRESS}
    for (key, raw), box in zip(HOSTILE_LINES, boxes):
        if key:
            doc.fields[key] = FieldValue(values[key], 0.7, 1, box if key != "address" else None, "label", raw)
    save_documents(db, sid, fid, [doc])
    return {"sid": sid, "page": pid, "boxes": boxes, "file_name": fname}


def build(folder: Path) -> dict:
    """The database at folder/docintake.db; returns ids of interest."""
    from intake.push import PushSettings, enqueue
    from review import audit, auth

    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "docintake.db"
    db = connect(db_path)
    out: dict = {"db": db_path}
    with transaction(db):
        sid = db.conn.execute(
            "INSERT INTO submissions (name, source_path, received_at, as_of, packet, status, updated_at) "
            "VALUES (?,?,?,?,?,?,?)",
            ("2026-11-20 许昌恒达科技", "/inbox/a", "2026-11-20T01:30:00.000+00:00", "2026-11-20",
             "membership_application", "processing", now()),
        ).lastrowid
        out["sid"] = sid
        docs_spec = [
            ("id_card", "身份证.jpg", [("name", "姓名 李明", "李明"), ("id_number", f"公民身份号码 {ID_NUMBER}", ID_NUMBER),
                                     ("address", "住址 河南省许昌市魏都区七一路18号", "河南省许昌市魏都区七一路18号")]),
            ("authorization_letter", "授权委托书.jpg", [("agent_name", "受托人 王芳", "王芳"),
                                                   ("agent_id_number", f"身份证号码:{AGENT_ID}", AGENT_ID)]),
            ("application_form", "会员申请表.jpg", [("unit_name", "单位名称 许昌恒达科技有限公司", "许昌恒达科技有限公司"),
                                              ("phone", f"电话 {PHONE}", PHONE), ("mobile", f"手机 {MOBILE}", MOBILE)]),
            ("bank_receipt", "回单.jpg", [("payer_account", f"付款人账号 {PAYER_ACCOUNT}", PAYER_ACCOUNT),
                                        ("payee_account", f"收款人账号 {PAYEE_ACCOUNT}", PAYEE_ACCOUNT),
                                        ("amount", "金额 12720.00", "12720.00")]),
        ]
        documents = []
        out["pages"] = {}
        for i, (dtype, fname, rows) in enumerate(docs_spec):
            fid = _file(db, sid, fname, f"{i + 1:064x}")
            image = folder / f"{dtype}.png"
            lines = [r[1] for r in rows]
            w, h, boxes = _image(image, lines)
            out["pages"][dtype] = _page(db, fid, image, w, h, lines, boxes)
            doc = Document(dtype, [1], 0.95, file=fname)
            for (key, raw, value), box in zip(rows, boxes):
                doc.fields[key] = FieldValue(value, 0.7, 1, box, "label", raw)
            save_documents(db, sid, fid, [doc])
            documents.append(doc)
        out["id_box"] = documents[0].fields["id_number"].bbox

        class Decision:  # what intake.validation.decide returns, reduced to what save_decision reads
            packet = "membership_application"
            status = "needs_review"
            voucher_amount = None
            organization = "许昌恒达科技有限公司"
            uscc = "91411000MA47M7QPXU"
            year = 2026
            findings = [
                Finding("person.mismatch", "error", f"人员信息不一致：身份证号码：居民身份证 {ID_NUMBER} ≠ 授权委托书 {AGENT_ID}",
                        ["id_number", "agent_id_number"], ["id_card", "authorization_letter"], "§3",
                        {"values": {"id_card.id_number": ID_NUMBER, "authorization_letter.agent_id_number": AGENT_ID}}),
                Finding("contact.check", "warning", f"联系电话 {PHONE} / {MOBILE} 请核实", ["phone", "mobile"],
                        ["application_form"], "", {}),
            ]

        save_decision(db, sid, Decision())
        # A reviewer's correction of the ID number and an approval whose comment names a phone number.
        id_doc = documents[0].document_id
        audit.record(db.conn, "srev", "correct", submission_id=sid, document_id=id_doc, document_type="id_card",
                     field="id_number", old_value=ID_NUMBER[:-1] + "1", new_value=ID_NUMBER, version=2)
        comment = f"已电话联系经办人（{COMMENT_MOBILE}），对方账号 {COMMENT_ACCOUNT} 已核对"
        db.conn.execute(
            "UPDATE submissions SET status = 'verified', decision = 'approved', decided_by = 'srev', decided_at = ?, "
            "decision_comment = ?, version = 3 WHERE id = ?",
            (now(), comment, sid),
        )
        audit.record(db.conn, "srev", "approve", submission_id=sid, field="status", old_value="needs_review/",
                     new_value="verified/approved", comment=comment, version=3)
        db.conn.execute(
            "INSERT INTO events (at, submission_id, kind, detail) VALUES (?, ?, 'note', ?)",
            (now(), sid, f"OCR 读到 {ID_NUMBER}"),
        )
        out["hostile"] = _hostile(db, folder)
    enqueue(db, PushSettings(url="http://127.0.0.1:9/receiver"))
    for name, role in USERS.items():
        auth.add_user(db, name, role, PASSWORD, display_name=name)
    db.conn.close()
    return out
