"""How many workers' results the single SQLite writer (the coordinator) keeps up with.

Feeds the store synthetic results at increasing offered rates, exactly as the pipeline
writes a read file: its OCR cache rows, pages with their lines and per-character words,
one document with its fields, the file's status and an event, in one transaction per
file. Reports achieved pages/s and the p95 latency per file at each offered rate; the
sustained rate is the highest offered rate still met (>= 95 %).

    python bench/store_writes.py [--pages-per-file 2] [--seconds 6] [--out bench/results/store-writes.md]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake import store  # noqa: E402
from intake.db import connect, log_event, now, transaction  # noqa: E402
from intake.model import Document, FieldValue, Line, Page, Word  # noqa: E402
from intake.ocr.runner import OcrResult, cache_put  # noqa: E402
from intake.archived import store_pages  # noqa: E402

CHARS = "许昌市科技创新券服务合同检验检测费用人民币壹万贰仟元整有限公司统一社会信用代码"
LINES_PER_PAGE = 40
CHARS_PER_LINE = 12


def synthetic_page(rng: random.Random, number: int) -> Page:
    lines = []
    for i in range(LINES_PER_PAGE):
        text = "".join(rng.choice(CHARS) for _ in range(CHARS_PER_LINE))
        y = 100 + i * 60
        words = tuple(Word(c, (100 + 40 * j, y, 140 + 40 * j, y + 40), 0.9) for j, c in enumerate(text))
        lines.append(Line(text, (100, y, 100 + 40 * len(text), y + 40), 0.95, words))
    return Page(number=number, width=2480, height=3508, dpi=300, source="ocr", image_path=f"/data/pages/{number}.png",
                lines=tuple(lines), engine="rapidocr", rotation=0, image_sha256=f"{rng.getrandbits(256):064x}")


_TEMPLATES: list[Page] = []


def write_file(db, sid: int, rng: random.Random, pages_per_file: int) -> None:
    """One file's results as the coordinator writes them (the results themselves are made beforehand:
    building them is the workers' part)."""
    if not _TEMPLATES:
        _TEMPLATES.extend(synthetic_page(random.Random(i), 1) for i in range(16))
    pages = [replace(rng.choice(_TEMPLATES), number=n + 1, image_sha256=f"{rng.getrandbits(256):064x}")
             for n in range(pages_per_file)]
    doc = Document("service_contract", [p.number for p in pages], 0.93, {
        "contract_number": FieldValue(f"XC-2026-{rng.randrange(10**5):05d}", 0.9),
        "testing_fee": FieldValue("12000.00", 0.9),
        "client_name": FieldValue("许昌某某科技有限公司", 0.9),
        "provider_name": FieldValue("河南某检测中心", 0.9),
        "signed_on": FieldValue("2026-05-20", 0.9),
        "client_seal_present": FieldValue(True, 0.9),
        "provider_seal_present": FieldValue(True, 0.9),
    })
    with transaction(db):
        cur = db.conn.execute(
            "INSERT INTO files (submission_id, name, sha256, ext, size, status, received_at) "
            "VALUES (?, 'scan.pdf', ?, '.pdf', 1000, 'archived', ?)", (sid, f"{rng.getrandbits(256):064x}", now()))
        fid = cur.lastrowid
    with transaction(db):
        for p in pages:
            cache_put(db, p.image_sha256, "rapidocr", OcrResult(list(p.lines), 0))
        stored = store_pages(db, fid, pages)
        store.save_documents(db, sid, fid, [doc])
        db.conn.execute("UPDATE files SET status = 'processed', page_count = ?, processed_at = ? WHERE id = ?",
                        (len(stored), now(), fid))
        log_event(db, "ocr", f"scan.pdf: {len(pages)} pages, 1 documents", sid, fid)


def run(rates: list[float], seconds: float, pages_per_file: int, folder: Path) -> list[dict]:
    db = connect(folder / "bench.db")
    rng = random.Random(7)
    with transaction(db):
        sid = db.conn.execute(
            "INSERT INTO submissions (name, source_path, received_at, as_of, status, updated_at) "
            "VALUES ('bench', '/inbox/bench', ?, '2026-11-20', 'processing', ?)", (now(), now())).lastrowid
    write_file(db, sid, rng, pages_per_file)  # templates built, statements compiled: not timed
    out = []
    for rate in rates:
        files_rate = rate / pages_per_file
        interval = 1.0 / files_rate if rate != float("inf") else 0.0
        latencies, n = [], 0
        cpu0 = time.process_time()
        start = time.perf_counter()
        due = start
        while time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            if t0 < due:
                time.sleep(due - t0)
                t0 = time.perf_counter()
            write_file(db, sid, rng, pages_per_file)
            t1 = time.perf_counter()
            latencies.append(t1 - max(due, start) if interval else t1 - t0)  # from when the result arrived
            n += 1
            due += interval
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        achieved = n * pages_per_file / elapsed
        lat = sorted(latencies)
        out.append({"offered": rate, "achieved": achieved, "p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))],
                    "median_ms": 1000 * statistics.median(lat),
                    "cpu_ms_page": 1000 * cpu / (n * pages_per_file), "db_mb": os.path.getsize(folder / "bench.db") / 1e6})
        print(f"offered {rate:>7} pages/s  achieved {achieved:7.1f}  p95 {out[-1]['p95_ms']:7.1f} ms  "
              f"db {out[-1]['db_mb']:.0f} MB", flush=True)
    db.conn.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages-per-file", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--rates", default="10,25,50,100,200,400,inf")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    with tempfile.TemporaryDirectory(prefix="store-writes-") as tmp:
        rows = run(rates, args.seconds, args.pages_per_file, Path(tmp))
    met = [r["offered"] for r in rows if r["offered"] != float("inf") and r["achieved"] >= 0.95 * r["offered"]]
    top = max((r["achieved"] for r in rows), default=0)
    lines = [
        "## Store writes: how many results the single SQLite writer sustains",
        "",
        f"Command: `.venv/bin/python bench/store_writes.py --seconds {args.seconds:g} --rates {args.rates}"
        f" --pages-per-file {args.pages_per_file}`",
        "",
        f"Single-writer store throughput ({args.pages_per_file} pages per file, {LINES_PER_PAGE} lines x "
        f"{CHARS_PER_LINE} characters per page, one transaction per file, WAL; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end).",
        "",
        "| offered pages/s | achieved pages/s | median ms/file | p95 ms/file | writer CPU ms/page | db MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['offered']:g} | {r['achieved']:.1f} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['cpu_ms_page']:.1f} | {r['db_mb']:.0f} |")
    cpu_ms = statistics.median(r["cpu_ms_page"] for r in rows)
    lines += ["", f"Sustained: {max(met, default=0):g} pages/s offered and met; unthrottled peak {top:.0f} pages/s "
                  f"on this (shared) machine. The writer's own CPU is {cpu_ms:.1f} ms a page (median over the rates), "
                  f"so one core given to it alone sustains about {1000 / cpu_ms:.0f} pages/s."]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
