"""The contract line of a decided submission (the output contract, section 3): what `ingest` prints."""
from __future__ import annotations

from . import store


def submission_json(db, sid: int) -> dict:
    """The contract's section 3 line for a submission."""
    name, packet, status, amount = db.execute(
        "SELECT name, packet, status, voucher_amount FROM submissions WHERE id = ?", [sid]
    ).fetchone()
    documents = [
        {"file": f, "type": t}
        for f, t in db.execute(
            "SELECT f.name, d.type FROM documents d JOIN files f ON f.id = d.file_id WHERE d.submission_id = ? "
            "ORDER BY f.id, d.idx",
            [sid],
        ).fetchall()
    ]
    findings = [
        {"rule": f.rule, "severity": f.severity, "message": f.message, "documents": f.documents}
        for f in store.findings_of(db, sid)
    ]
    errors = [
        {"file": n, "error": e}
        for n, e in db.execute(
            "SELECT name, error FROM files WHERE submission_id = ? AND status = 'quarantined' ORDER BY id", [sid]
        ).fetchall()
    ]
    return {
        "submission": name,
        "packet": packet,
        "status": status,
        "documents": documents,
        "voucher_amount": amount,  # only a packet with a voucher_cap rule computes one
        "findings": findings,
        "errors": errors,
    }
