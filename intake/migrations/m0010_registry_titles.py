"""Packet titles and personal keys come from the schema registry, not from SQL (issue 12).

- `packet_titles`: each packet's Chinese title (its file's `short_title`, else `title`), filled
  from `schemas.registry` now and refreshed whenever the review UI starts (`sync_registry`).
- `review_queue`: 材料类型 is the packet's row in `packet_titles` (未识别 when it has none), so a
  packet added as a JSON file is listed under its own title instead of 未识别.
- `verified_records`: the voucher amount is the stored one (only a packet whose rules compute an
  amount stores one) instead of a test for the packet's name.
- `personal_keys`: the `'*'` rows of m0002 (a key personal on every type, which `x-personal:
  false` could not override) are replaced by the schemas' `x-personal` fields.
"""

VERSION = 10

_OLD_PACKET_ZH = (
    "CASE s.packet WHEN 'membership_application' THEN '文献平台会员申请' WHEN 'voucher_redemption' THEN '创新券兑付' "
    "ELSE '未识别' END"
)
PACKET_TITLE_SQL = "COALESCE((SELECT pt.title FROM packet_titles pt WHERE pt.packet = {c}), '未识别')"
_OLD_AMOUNT = "CASE WHEN s.packet = 'voucher_redemption' THEN s.voucher_amount END AS voucher_amount"


def _recreate(db, view: str, old: str, new: str) -> None:
    row = db.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (view,)).fetchone()
    if not row or old not in row[0]:
        return
    db.conn.execute(f'DROP VIEW "{view}"')
    db.conn.execute(row[0].replace(old, new, 1))


def sync_registry(conn) -> None:
    """Write the registry's packet titles and personal keys into their tables (idempotent)."""
    from schemas.registry import packet_titles, personal_fields

    conn.execute("DELETE FROM packet_titles")
    conn.executemany("INSERT INTO packet_titles (packet, title) VALUES (?, ?)", sorted(packet_titles().items()))
    conn.execute("DELETE FROM personal_keys")
    conn.executemany("INSERT INTO personal_keys (doc_type, key, keep_head, keep_tail) VALUES (?,?,?,?)",
                     personal_fields())


def up(db):
    db.conn.execute("CREATE TABLE IF NOT EXISTS packet_titles (packet TEXT PRIMARY KEY, title TEXT NOT NULL)")
    _recreate(db, "review_queue", _OLD_PACKET_ZH, PACKET_TITLE_SQL.format(c="s.packet"))
    _recreate(db, "verified_records", _OLD_AMOUNT, "s.voucher_amount AS voucher_amount")
    # A broken schema raises here, as everywhere it loads: the product does not start on one.
    sync_registry(db.conn)
