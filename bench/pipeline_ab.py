"""One `ingest` of generated documents with a given code tree: wall and CPU a page, coordinator and pool apart.

    git worktree add /tmp/wt-old <commit>
    for r in 1 2; do for t in /tmp/wt-old .; do (cd $t && /path/to/.venv/bin/python /path/to/bench/pipeline_ab.py $t); done; done

Run the trees interleaved (old, new, old, new) so both see the same machine load; each run
ingests the same 8 documents (bench/pipeline_speed.py's selection) into a fresh database with
2 workers, models loading and the viewer's WebPs included, and prints a fingerprint of the
submissions' statuses, findings and fields, and the number of fields, which must be the same for trees that should read alike.
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
sys.path.insert(0, ROOT + "/bench")
sys.path.insert(0, ROOT)  # the tree measured, not the one this file is in
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def _cpu(who) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def main() -> None:
    from pipeline_speed import make_inbox

    from intake import webimages
    from intake.db import connect
    from intake.pipeline import Settings, ingest

    tmp = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    try:
        make_inbox(tmp / "src", 8, 500)
        work = tmp / "w"
        shutil.copytree(tmp / "src", work / "inbox")
        db = connect(work / "data" / "d.db")
        settings = Settings(data_dir=work / "data", engine="rapidocr", workers=2, progress=False)
        c0, k0, t0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        out = list(ingest(work / "inbox", db, settings))
        webimages.wait()
        dt = time.perf_counter() - t0
        c, k = _cpu(resource.RUSAGE_SELF) - c0, _cpu(resource.RUSAGE_CHILDREN) - k0
        n = db.execute("SELECT count(*) FROM pages WHERE source = 'ocr'").fetchone()[0]
        decided = [(o.get("status"), sorted((f["rule"], f["severity"]) for f in o.get("findings", [])),
                    {d.get("type"): d.get("fields") for d in o.get("documents", []) if isinstance(d, dict)})
                   for o in out]  # statuses, findings and every field of every document
        fp = hashlib.sha256(json.dumps(decided, sort_keys=True, default=str).encode()).hexdigest()[:10]
        fields = db.execute("SELECT count(*) FROM fields").fetchone()[0]
        print(f"{ROOT}: wall {dt / n:.2f}/page coord {c / n:.2f} kids {k / n:.2f} total {(c + k) / n:.2f} "
              f"CPU/page out {fp} fields {fields}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
