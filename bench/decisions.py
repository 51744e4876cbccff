"""Decision accuracy over generated submissions (tests/corpus), through the real pipeline.

    python bench/decisions.py --seeds 2 --quality scan --engine rapidocr
    python bench/decisions.py --mode truth --seeds 20          # validation alone, no OCR
    python bench/decisions.py --split developed,held_out --quality scan,photo --cases valid

Reported per layout split (``classic``: the layouts as before families; ``developed`` /
``held_out``: tests/corpus/families.py) and quality, side by side: the false rejection rate of
valid submissions (target 0% at scan and clean, at most 2% on photos), the share of valid
submissions that reach ``ready`` without review, packet status accuracy and exact rule-set
accuracy.

For every case (a valid packet of each kind and one packet per defect of
``tests.corpus.packets.PACKET_DEFECTS``, per seed) the packet series is written to a
fresh inbox and ingested in order into a fresh database with ``intake.pipeline.ingest``
(OCR, extraction, then ``intake.validation.decide`` with ``SqliteHistory``).  The last
submission's line is compared with the generator's truth: packet, status, the set of
rule ids, and the voucher amount.  ``--mode truth`` skips files and OCR and decides from
the truth fields (what validation alone gets right).  Results go to
``bench/results/decisions.md``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


CLASSIC = "classic"


def defect_list():
    """Every case kind: the valid packets, ``PACKET_DEFECTS`` and the defects that need the
    bureau's lists, budget or packet settings (``STATE_DEFECTS``, set up by `apply_state`)."""
    from tests.corpus.packets import MEMBERSHIP, PACKET_DEFECTS, STATE_DEFECTS, VOUCHER
    return [(None, MEMBERSHIP), (None, VOUCHER), *PACKET_DEFECTS.items(), *((d, VOUCHER) for d in STATE_DEFECTS)]


# --- the state a packet's truth asks for (truth["state"]: lists, budgets, packet settings) ---------

def _entries(rows):
    from intake.validation.lists import ListEntry
    return [ListEntry(r.get("uscc"), r.get("name"), r.get("year")) for r in rows]


def packets_dir_for(state: dict | None, workdir: Path) -> str | None:
    """A copy of schemas/packets with the truth's settings applied (None: the shipped files)."""
    settings = (state or {}).get("settings")
    if not settings:
        return None
    import shutil
    from intake.validation.packets import PACKET_DIR
    # a deployment's schema folder (DOCINTAKE_SCHEMA_DIRS) whose packets/ replace the shipped ones
    out = workdir / ("schemas-" + "-".join(f"{k}={int(v)}" for k, v in sorted(settings.items()))) / "packets"
    if not out.exists():
        shutil.copytree(PACKET_DIR, out, ignore=shutil.ignore_patterns("_*"))
        for f in out.glob("*.json"):
            spec = json.loads(f.read_text("utf-8"))
            for k, v in settings.items():
                if k in spec.get("settings", {}):
                    spec["settings"][k]["value"] = v
            f.write_text(json.dumps(spec, ensure_ascii=False, indent=1), "utf-8")
    return str(out)


def memory_history(state: dict | None):
    """truth mode: a MemoryHistory holding the truth's lists and budgets."""
    from decimal import Decimal
    from intake.validation import MemoryHistory
    state = state or {}
    return MemoryHistory(lists={k: _entries(v) for k, v in state.get("lists", {}).items()},
                         budgets={int(y): Decimal(a) for y, a in state.get("budgets", {}).items()})


def apply_state(state: dict | None, db, workdir: Path) -> str | None:
    """OCR mode: import the truth's lists and budgets into ``db`` as staff would (the library
    calls behind `docintake lists import` / `budget set`); returns the packets dir to decide with
    (its folder is exported as DOCINTAKE_SCHEMA_DIRS for the pipeline), or None."""
    import os
    from decimal import Decimal
    from intake.validation.lists import set_budget, store_list
    state = state or {}
    for kind, rows in state.get("lists", {}).items():
        store_list(db.conn, kind, _entries(rows), "bench truth", "bench")
    for year, amount in state.get("budgets", {}).items():
        set_budget(db.conn, int(year), Decimal(amount), "bench")
    packets_dir = packets_dir_for(state, workdir)
    from schemas.registry import ENV_DIRS, clear_cache
    if packets_dir:
        os.environ[ENV_DIRS] = str(Path(packets_dir).parent)
    else:
        os.environ.pop(ENV_DIRS, None)
    clear_cache()
    return packets_dir


def cases(seeds: int, only: str | None = None, which: str = "all", first_seed: int = 0):
    for seed in range(first_seed, first_seed + seeds):
        for defect, kind in defect_list():
            if only and (defect or "valid") != only:
                continue
            if which == "valid" and defect is not None:
                continue
            if which == "defects" and defect is None:
                continue
            yield kind, defect, seed


def _layout(split: str) -> dict:
    return {} if split == CLASSIC else {"split": split}


def run_truth(kind, defect, seed, quality, split=CLASSIC):
    """Decide from the truth fields (no rendering, no OCR)."""
    from intake.model import Document, FieldValue
    from intake.validation import decide
    from tests.corpus import packets
    from tests.corpus.documents import LAYOUTS

    def truth_only(doc_type, v, seed, quality="clean", container=None, family=None, split=None):
        from tests.corpus.documents import for_family, pick_family
        layout = LAYOUTS[doc_type]
        fam = pick_family(doc_type, seed, family, split)
        v = for_family(doc_type, v, seed, fam)  # a family may print other values (an organization as agent)
        t = {"type": doc_type, "pages": [1], "fields": layout.fields(v), "family": fam}
        if hasattr(layout, "extra"):
            t["extra"] = layout.extra(v)
        return type("G", (), {"type": doc_type, "truth": t, "suffix": ".png"})()

    real, packets.render_values = packets.render_values, truth_only
    try:
        series = packets.generate_packet_series(kind, seed, defect, quality, **_layout(split))
    finally:
        packets.render_values = real
    state = series[-1].truth.get("state")
    history = memory_history(state)
    packets_dir = packets_dir_for(state, Path(tempfile.gettempdir()) / "docintake-bench-packets")
    for i, p in enumerate(series, 1):
        docs = [Document(type=g.truth["type"], pages=[1], confidence=1.0,
                         fields={k: FieldValue(v, 1.0) for k, v in g.truth["fields"].items()}) for g in p.documents]
        texts = ["\n".join(g.truth.get("extra", {}).get("testing_items", [])) for g in p.documents]
        d = decide(docs, date.fromisoformat(p.truth["as_of"]), history, texts, submission_id=i, packets_dir=packets_dir)
        history.record(i, d, docs, name=p.name)
    line = {"packet": d.packet, "status": d.status, "voucher_amount": d.voucher_amount,
            "review_reasons": d.review_reasons,
            "findings": [{"rule": f.rule, "severity": f.severity, "message": f.message} for f in d.findings]}
    return series[-1].truth, line


def _share_cache(db, shared: str | None, into_case: bool) -> None:
    """Copy OCR readings between a case's fresh database and a shared cache file (``--ocr-cache``):
    keyed by page pixels + engine settings, so a re-run after an extraction change reads no page
    again, and the same page in another case (a defect packet's unchanged documents) is read once."""
    if not shared:
        return
    import sqlite3
    con = sqlite3.connect(shared)
    con.execute("CREATE TABLE IF NOT EXISTS ocr_cache (key TEXT PRIMARY KEY, engine TEXT, rotation INTEGER,"
                " lines TEXT NOT NULL, created_at TEXT)")
    con.commit()
    con.close()
    db.conn.commit()
    db.conn.execute("ATTACH DATABASE ? AS shared", [shared])
    try:
        if into_case:
            db.conn.execute("INSERT OR IGNORE INTO main.ocr_cache SELECT * FROM shared.ocr_cache")
        else:
            db.conn.execute("INSERT OR IGNORE INTO shared.ocr_cache SELECT * FROM main.ocr_cache")
        db.conn.commit()
    finally:
        db.conn.execute("DETACH DATABASE shared")


def run_ocr(kind, defect, seed, quality, runner, engine, workdir: Path, split=CLASSIC, ocr_cache=None):
    from intake.db import connect
    from intake.pipeline import Settings, ingest
    from tests.corpus.packets import generate_packet_series

    series = generate_packet_series(kind, seed, defect, quality, **_layout(split))
    case_dir = workdir / f"{kind}-{defect or 'valid'}-{seed}-{split}-{quality}"
    db = connect(case_dir / "data" / "docintake.db")
    _share_cache(db, ocr_cache, True)
    packets_dir = apply_state(series[-1].truth.get("state"), db, case_dir)
    line = None
    for p in series:
        inbox = case_dir / "inbox"
        folder = inbox / p.name
        folder.mkdir(parents=True, exist_ok=True)
        for fname, g in zip(p.file_names(), p.documents):
            (folder / fname).write_bytes(g.encode())
        settings = Settings(data_dir=case_dir / "data", engine=engine, as_of=date.fromisoformat(p.truth["as_of"]),
                            progress=False)
        lines = list(ingest(inbox, db, settings, runner))
        line = lines[-1] if lines else None
    if line is not None:  # why a submission went to review: not part of the contract line
        from intake import store
        from intake.validation import SqliteHistory, decide
        sid = db.execute("SELECT MAX(id) FROM submissions").fetchone()[0]
        d = decide(store.load_documents(db, sid), date.fromisoformat(series[-1].truth["as_of"]), SqliteHistory(db),
                   store.page_texts(db, sid), submission_id=sid, packets_dir=packets_dir)
        # what intake/reconcile.py changed before the decision: document.field only (no values)
        changed = [json.loads(r[0]) for r in db.execute("SELECT detail FROM events WHERE kind = 'reconcile'").fetchall()]
        # why an error became a warning (intake/validation/settle.py): kind, document and field, no values
        doubts = [f"{f.rule} ← {x.get('kind')} {x.get('document') or ''}.{x.get('field') or ''}"
                  for f in d.findings for x in f.evidence.get("doubt", [])]
        line = dict(line, review_reasons=d.review_reasons, doubts=doubts,
                    reconciled=[f"{c['document']}.{c['field']}" for c in changed])
    _share_cache(db, ocr_cache, False)
    db.conn.close()
    return series[-1].truth, line


def compare(truth, line) -> dict:
    got_rules = sorted({f["rule"] for f in (line or {}).get("findings", [])})
    got = {"packet": (line or {}).get("packet"), "status": (line or {}).get("status"), "rules": got_rules,
           "voucher_amount": (line or {}).get("voucher_amount")}
    want = {"packet": truth["packet"], "status": truth["status"], "rules": truth["rules"],
            "voucher_amount": truth["voucher_amount"]}
    return {"got": got, "want": want, "exact": got == want, "status_ok": got["status"] == want["status"],
            "rules_ok": got["rules"] == want["rules"], "packet_ok": got["packet"] == want["packet"],
            "amount_ok": got["voucher_amount"] == want["voucher_amount"],
            "missing": sorted(set(want["rules"]) - set(got_rules)), "extra": sorted(set(got_rules) - set(want["rules"]))}


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}% ({num}/{den})" if den else "–"


def summary(results) -> list[str]:
    """Developed vs held-out (and classic) side by side, one column per split and quality."""
    cols = sorted({(r["split"], r["quality"]) for r in results},
                  key=lambda c: ([CLASSIC, "developed", "held_out", "all"].index(c[0])
                                 if c[0] in (CLASSIC, "developed", "held_out", "all") else 9, c[1]))
    head = "| measure | " + " | ".join(f"{sp} · {q}" for sp, q in cols) + " |"
    out = [head, "|---|" + "---|" * len(cols)]

    def row(name, fn):
        cells = []
        for c in cols:
            rs = [r for r in results if (r["split"], r["quality"]) == c]
            cells.append(fn(rs))
        out.append(f"| {name} | " + " | ".join(cells) + " |")

    valid = lambda rs: [r for r in rs if r["defect"] is None]  # noqa: E731
    row("false rejection of valid submissions", lambda rs: _pct(sum(r["got"]["status"] == "rejected" for r in valid(rs)),
                                                                 len(valid(rs))))
    row("valid submissions `ready` without review", lambda rs: _pct(sum(r["got"]["status"] == "ready" for r in valid(rs)),
                                                                     len(valid(rs))))
    row("packet status", lambda rs: _pct(sum(r["status_ok"] for r in rs), len(rs)))
    row("exact rule set", lambda rs: _pct(sum(r["rules_ok"] for r in rs), len(rs)))
    row("exact (packet, status, rules, amount)", lambda rs: _pct(sum(r["exact"] for r in rs), len(rs)))
    row("defect packets rejected as expected", lambda rs: _pct(
        sum(r["got"]["status"] == "rejected" for r in rs if r["want"]["status"] == "rejected"),
        sum(r["want"]["status"] == "rejected" for r in rs)))
    row("voucher amount", lambda rs: _pct(sum(r["amount_ok"] for r in rs), len(rs)))
    return out


_LOW = __import__("re").compile(r"([^\s、：:]+?)\.([a-z_]+)（([0-9.]+)）")


def aggregate(results) -> str:
    """Counts only, no values (the held-out honesty rule: a held-out reading is never looked at):
    per split · quality and packet, the status confusion, each extra or missing rule id with its
    severity and the document types it names, and the fields below their review threshold."""
    out = []
    by = defaultdict(list)
    for r in results:
        by[(r["split"], r["quality"], r["case"].split(":")[0])].append(r)
    for (sp, q, kind), rs in sorted(by.items()):
        status = Counter(f"{r['want']['status']}→{r['got']['status']}" for r in rs)
        out.append(f"{sp} · {q} · {kind}: {len(rs)} cases, status {dict(status)}, "
                   f"rules exact {sum(r['rules_ok'] for r in rs)}/{len(rs)}")
        extra = Counter()
        for r in rs:
            for f in r.get("findings", []):
                if f["rule"] in r["extra"]:
                    extra[(f["rule"], f["severity"], ",".join(f.get("documents") or []),
                           "doubt" if "请人工核对" in f.get("message", "") else "")] += 1
        for (rule, sev, docs, doubt), n in sorted(extra.items()):
            out.append(f"    extra   {rule:<28} {sev:<8} {docs:<40} {doubt} ×{n}")
        for rule, n in sorted(Counter(x for r in rs for x in r["missing"]).items()):
            out.append(f"    missing {rule:<28} ×{n}")
        low = Counter()
        for r in rs:
            for reason in r.get("review_reasons", []):
                for doc, key, _conf in _LOW.findall(reason):
                    low[f"{doc}.{key}"] += 1
                if not _LOW.search(reason):
                    low[reason.split("（")[0][:30]] += 1
        for what, n in sorted(low.items()):
            out.append(f"    review  {what} ×{n}")
        for what, n in sorted(Counter(x for r in rs for x in r.get("reconciled", [])).items()):
            out.append(f"    reconciled {what} ×{n}")
        for what, n in sorted(Counter(x for r in rs for x in r.get("doubts", [])).items()):
            out.append(f"    doubt   {what} ×{n}")
    return "\n".join(out) + "\n"


def report(results, args, seconds) -> str:
    n = len(results)
    cmd = (f"python bench/decisions.py --mode {args.mode} --seeds {args.seeds}"
           f"{' --first-seed ' + str(args.first_seed) if args.first_seed else ''} --quality {args.quality}"
           f" --split {args.split}{' --cases ' + args.cases if args.cases != 'all' else ''}"
           f"{' --engine ' + args.engine if args.mode == 'ocr' else ''}")
    if getattr(args, "command", None):
        cmd = args.command.replace(" && ", "` and `")
    out = [f"# Decision accuracy ({args.mode})", "",
           f"`{cmd}` — {n} submissions, {seconds:.0f} s ({seconds / max(n, 1):.1f} s per case, series included).", "",
           "Valid submissions are the defect-free packets (`valid` cases); a false rejection is one decided `rejected`. "
           "Targets (issue 11): 0% false rejections at scan and clean quality, at most 2% on photos.", ""]
    out += summary(results)
    out += ["", "## Per case", "", "| case | n | exact | status | rules | missing rules | extra rules |",
            "|---|---|---|---|---|---|---|"]
    by = defaultdict(list)
    for r in results:
        by[r["case"]].append(r)
    for case, rs in sorted(by.items()):
        miss = Counter(x for r in rs for x in r["missing"])
        extra = Counter(x for r in rs for x in r["extra"])
        out.append(f"| {case} | {len(rs)} | {sum(r['exact'] for r in rs)} | {sum(r['status_ok'] for r in rs)} | "
                   f"{sum(r['rules_ok'] for r in rs)} | {', '.join(f'{k}×{v}' for k, v in miss.items()) or ''} | "
                   f"{', '.join(f'{k}×{v}' for k, v in extra.items()) or ''} |")
    out += ["", "## Status confusion (expected → got)", "", "| split · quality | expected | got | n |", "|---|---|---|---|"]
    for (sp, q, w, g), k in sorted(Counter((r["split"], r["quality"], r["want"]["status"], r["got"]["status"])
                                           for r in results).items()):
        out.append(f"| {sp} · {q} | {w} | {g} | {k} |")
    downgraded = Counter(f["rule"] for r in results for f in r.get("findings", [])
                         if f["severity"] == "warning" and "请人工核对" in f["message"])
    if downgraded:
        out += ["", "## Warnings routed to review (请人工核对)", "", "| rule | n |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in sorted(downgraded.items())]
    wrong = [r for r in results if not r["exact"] and r["split"] != "held_out"]
    hidden = sum(not r["exact"] and r["split"] == "held_out" for r in results)
    if wrong or hidden:
        out += ["", "## Mismatches", ""]
        if hidden:  # issue 11: held-out readings are measured, never looked at (counts and rule ids above)
            out.append(f"- {hidden} held-out case(s) not listed: their messages name read values (see --aggregate)")
        for r in wrong[:80]:
            out.append(f"- **{r['case']} seed {r['seed']} ({r['split']} · {r['quality']})**: "
                       f"want {json.dumps(r['want'], ensure_ascii=False)}, got {json.dumps(r['got'], ensure_ascii=False)}")
            for f in r.get("findings", [])[:6]:
                out.append(f"  - `{f['rule']}` {f['severity']}: {f['message']}")
            for reason in r.get("review_reasons", []):
                out.append(f"  - review: {reason}")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=["ocr", "truth"], default="ocr")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--quality", default="scan", help="one quality or a comma list: scan,clean,photo")
    ap.add_argument("--split", default=CLASSIC,
                    help="comma list of classic (layouts before families), developed, held_out, all")
    ap.add_argument("--cases", choices=["all", "valid", "defects"], default="all",
                    help="valid: defect-free packets only; defects: the defect packets only")
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--only", help="one case: a rule id or 'valid'")
    ap.add_argument("--ocr-cache", help="ocr mode: an SQLite file that keeps OCR readings across cases and runs")
    ap.add_argument("--jsonl", help="also write every case's result here (one JSON object a line)")
    ap.add_argument("--from", dest="from_", help="comma list of --jsonl files: report on them instead of running")
    ap.add_argument("--command", help="with --from: the commands that produced the files, shown in the report")
    ap.add_argument("--aggregate", action="store_true",
                    help="with --from: print counts only (rule ids, severities, document types), no values")
    ap.add_argument("--out", default=None, help="default bench/results/decisions.md (decisions-truth.md with --mode truth)")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = str(ROOT / "bench" / "results" / ("decisions-truth.md" if args.mode == "truth" else "decisions.md"))
    if args.from_:
        results = [json.loads(line) for f in args.from_.split(",") for line in Path(f).read_text("utf-8").splitlines()
                   if line.strip()]
        if args.aggregate:
            print(aggregate(results), end="")
            return 0
        seconds = sum(r.get("seconds", 0) for r in results)
        text = report(results, args, seconds)
        Path(args.out).write_text(text, "utf-8")
        print(text.split("## Per case")[0])
        return 0
    results, start = [], time.time()
    if args.jsonl:
        Path(args.jsonl).write_text("", "utf-8")
    runner = None
    tmp = tempfile.TemporaryDirectory(prefix="docintake-decisions-")
    try:
        if args.mode == "ocr":
            from intake.ocr.base import limit_threads
            from intake.ocr.runner import OcrRunner
            limit_threads()
            runner = OcrRunner(args.engine, args.workers, False)
        grid = [(sp, q) for sp in args.split.split(",") for q in args.quality.split(",")]
        for kind, defect, seed in cases(args.seeds, args.only, args.cases, args.first_seed):
            for split, quality in grid:
                t0 = time.time()
                if args.mode == "truth":
                    truth, line = run_truth(kind, defect, seed, quality, split)
                else:
                    truth, line = run_ocr(kind, defect, seed, quality, runner, args.engine, Path(tmp.name), split,
                                         args.ocr_cache)
                r = compare(truth, line)
                r.update(case=f"{kind}: {defect or 'valid'}", seed=seed, defect=defect, split=split, quality=quality,
                         seconds=round(time.time() - t0, 1),
                         findings=(line or {}).get("findings", []), review_reasons=(line or {}).get("review_reasons", []),
                         reconciled=(line or {}).get("reconciled", []), doubts=(line or {}).get("doubts", []))
                results.append(r)
                if args.jsonl:  # one line per case as it ends, so a long run that is stopped still counts
                    with open(args.jsonl, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(r, ensure_ascii=False) + "\n")
                print(f"{r['case']:<48} seed {seed} {split}/{quality}  {'ok ' if r['exact'] else 'BAD'}"
                      f"  {time.time() - t0:5.1f}s  missing={r['missing']} extra={r['extra']} status={r['got']['status']}",
                      flush=True)
    finally:
        if runner is not None:
            runner.close()
        tmp.cleanup()
    text = report(results, args, time.time() - start)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, "utf-8")
    print(text.split("## Per case")[0])

    return 0


if __name__ == "__main__":
    raise SystemExit(main())
