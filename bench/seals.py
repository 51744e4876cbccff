"""Precision / recall of seal presence and signature presence, per quality level.

    python bench/seals.py --count N [--source auto|corpus|synth] [--out bench/results/seals.md]

Pages come from the shared corpus generator (`tests.corpus.generate_document`) when
it is importable, else from this file's own synthetic pages (`synth_page`), which
draw with the corpus's ink helpers: a commitment-letter-like page with body text, a
table in red/brown ink or black, a red title or red underline now and then, the
label `法定代表人或企业负责人签字：` with or without a handwritten signature beside
it, with or without a round official seal (sometimes over the signature), plus an
oval invoice seal or a small square name stamp on some pages.

A page counts as "seal present" when `detect_seals` returns at least one seal;
signature presence comes from `detect_signature` on the region right of the label.
"""
from __future__ import annotations

import argparse
import io
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

QUALITIES_SYNTH = ("clean", "scan", "lowres", "photo", "gray")
LABEL = "法定代表人或企业负责人签字："

ORGS = ["许昌市华信科技有限公司", "许昌瑞达检测技术服务有限公司", "河南省许昌市建安区农业发展中心",
        "许昌恒通机械制造股份有限公司", "长葛市新材料研究院", "禹州市钧瓷文化发展有限公司",
        "许昌市科学技术局", "许昌学院"]
NAMES = ["张伟", "王芳", "李建国", "刘洋", "陈静", "赵志强", "孙丽", "周文博"]
BODY = ("本单位自愿申请成为许昌市科技文献资源共享平台机构用户，承诺遵守平台各项管理规定，"
        "不将平台资源用于商业目的，不批量下载、不转让账号，所提交材料真实有效，"
        "如有违反，愿承担相应责任。特此承诺。")


@dataclass
class SynthDoc:
    pages: list
    truth: dict = field(default_factory=dict)
    sig_region: tuple | None = None


def synth_page(seed: int, quality: str = "scan", seal: bool = True, signature: bool = True,
               dpi: int = 200, extra_red: bool | None = None) -> SynthDoc:
    """One synthetic page with ground truth (see module doc)."""
    from tests.corpus.canvas import Page
    from tests.corpus import seals as cseals
    from tests.corpus import signatures as csig

    rng = random.Random(seed)
    p = Page(210, 297, dpi)
    if extra_red is None:
        extra_red = rng.random() < 0.5
    title_red = extra_red and rng.random() < 0.5
    p.text(105, 30, "机构用户使用承诺书", family="song_bold", size=18, anchor="ms",
           fill=(200, 30, 40) if title_red else (20, 20, 20))
    if extra_red and not title_red:
        p.line(60, 33, 150, 33, w=0.6, fill=(210, 40, 50))  # red underline / rule
    y = p.wrap(25, 50, 160, BODY * 2, size=12, indent=8)
    # a table: black, or brown/red like VAT invoices
    tcol = rng.choice([(20, 20, 20), (150, 70, 40), (170, 60, 50)]) if extra_red else (20, 20, 20)
    ty = y + 10
    for i in range(5):
        p.line(25, ty + i * 8, 185, ty + i * 8, w=0.3, fill=tcol)
    for x in (25, 60, 100, 140, 185):
        p.line(x, ty, x, ty + 32, w=0.3, fill=tcol)
    for i in range(4):
        p.text(28, ty + i * 8 + 5.5, rng.choice(["项目", "金额", "数量", "备注"]), size=10.5, fill=tcol)
        p.text(104, ty + i * 8 + 5.5, f"{rng.randint(100, 99999)}.00", size=10.5, fill=tcol)
    org = rng.choice(ORGS)
    by = ty + 32 + 25
    p.text(25, by, "公司名称（加盖红色公章）：" + org, size=12)
    ly = by + 18
    x_end = p.text(25, ly, LABEL, size=12)
    region_mm = (x_end + 1, ly - 14, min(205, x_end + 60), ly + 6)
    p.text(25, ly + 16, f"日期：2026年{rng.randint(1, 12)}月{rng.randint(1, 28)}日", size=12)
    seals_truth = []
    if signature:
        alpha = csig.signature(rng.choice(NAMES), dpi, rng, height_mm=rng.uniform(7, 11))
        cx = x_end + 5 + alpha.shape[1] / 2 * 25.4 / dpi + rng.uniform(0, 8)
        cy = ly - 3 + rng.uniform(-2, 2)
        p.stamp(alpha, csig.ink(rng), cx, cy)
    if seal:
        diam = rng.choice([40, 40, 42, 38, 45, 58 if rng.random() < 0.2 else 40])
        alpha = cseals.round_seal(org, dpi, rng, diameter_mm=diam,
                                  purpose=rng.choice([None, None, "合同专用章"]))
        # over the name / signature area like a real stamping, sometimes elsewhere
        cx = rng.uniform(70, 150)
        cy = rng.uniform(by - 10, ly + 10)
        bb = p.stamp(alpha, cseals.seal_color(rng), cx, cy)
        seals_truth.append({"page": 1, "bbox": bb, "color": "red", "shape": "round", "text": org})
    if seal and rng.random() < 0.15:
        alpha = cseals.oval_seal(org, "91411002MA3X4K5L2B", dpi, rng)
        bb = p.stamp(alpha, cseals.seal_color(rng), rng.uniform(40, 170), 270)
        seals_truth.append({"page": 1, "bbox": bb, "color": "red", "shape": "oval", "text": org})
    img = p.img
    region = tuple(p.px(v) for v in region_mm)
    color = "red"
    img, region, eff_dpi = degrade(img, region, dpi, quality, rng)
    if quality == "gray":
        color = "gray"
    for s in seals_truth:
        s["color"] = color
        if eff_dpi != dpi:
            s["bbox"] = [int(v * eff_dpi / dpi) for v in s["bbox"]]
    return SynthDoc([img], {"seals": seals_truth, "signature_present": signature, "dpi": eff_dpi}, region)


def degrade(img: Image.Image, region, dpi: int, quality: str, rng: random.Random):
    """clean | scan (blur, noise, tint, JPEG) | lowres (100 dpi, JPEG) | photo (cast, shading,
    blur, strong JPEG) | gray (scan in grayscale)."""
    if quality == "clean":
        return img, region, dpi
    arr = np.asarray(img).astype(np.float32)
    nrng = np.random.default_rng(rng.randrange(2 ** 32))
    eff = dpi
    if quality in ("scan", "gray", "lowres"):
        arr = arr * rng.uniform(0.9, 1.0) + rng.uniform(0, 12)
        arr = arr * np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.93, 1.0)])
        arr += nrng.normal(0, 4, arr.shape)
        im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
        if quality == "lowres":
            eff = 100
            f = eff / dpi
            im = im.resize((int(im.width * f), int(im.height * f)), Image.BILINEAR)
            region = tuple(int(v * f) for v in region)
        if quality == "gray":
            im = im.convert("L")
        q = rng.randint(55, 85)
    else:  # photo
        h, w = arr.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        shade = 1.0 - 0.25 * ((xx / w - rng.random()) ** 2 + (yy / h - rng.random()) ** 2)
        cast = np.array([rng.uniform(0.95, 1.05), rng.uniform(0.9, 1.0), rng.uniform(0.8, 0.95)])
        arr = arr * shade[..., None] * cast * rng.uniform(0.75, 0.95)
        arr += nrng.normal(0, 6, arr.shape)
        im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.1))
        q = rng.randint(45, 70)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=q)
    return Image.open(io.BytesIO(buf.getvalue())).copy(), region, eff


# --------------------------------------------------------------------------- bench
def _extracted_signature_field(doc, cache_dir=None):
    """The signature_present FieldValue as extracted from the generated document (OCR cached like
    bench/accuracy.py), or None when no document was read."""
    from pathlib import Path

    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import accuracy

    from extractors import extract_pages

    pages, images = accuracy.pages_from_generated(doc, "rapidocr", Path(cache_dir) if cache_dir else accuracy.DEFAULT_CACHE)
    from intake.reader import EngineReader

    docs = extract_pages(pages, images, doc.type, "rapidocr", reader=EngineReader())
    return docs[0].fields.get("signature_present") if docs else None


def _extracted_signature(doc, cache_dir=None):
    fv = _extracted_signature_field(doc, cache_dir)
    if fv is None or fv.raw == "not_verifiable":
        return None
    return bool(fv.value)


REVIEW_THRESHOLD = 0.85  # the commitment letter's x-review threshold: below it a reading is a doubt


def signature_families(count: int, qualities, cache_dir=None) -> tuple[list[str], list]:
    """Commitment letters of every layout family, signed and unsigned (alternating), through the
    pipeline's extraction. Rows per developed family and per split; the held-out family is reported
    only as its split's aggregate (never tuned on, never inspected one by one)."""
    from tests.corpus import generate_document
    from tests.corpus.families import families, split_of

    stats: dict = {}
    misses = []
    for q in qualities:
        for fam in families("commitment_letter"):
            split = split_of("commitment_letter", fam)
            for i in range(count):
                signed = i % 2 == 0
                doc = generate_document("commitment_letter", seed=9100 + i, quality=q, family=fam,
                                        signature_present=signed)
                fv = _extracted_signature_field(doc, cache_dir)
                if fv is None or fv.raw == "not_verifiable":
                    got = None
                else:
                    got = bool(fv.value)
                sure = fv is not None and got is not None and float(fv.confidence or 0) >= REVIEW_THRESHOLD
                keys = [(q, split, "all")] + ([(q, split, fam)] if split == "developed" else [])
                for k in keys:
                    st = stats.setdefault(k, {"signed": 0, "found": 0, "found_sure": 0, "unsigned": 0,
                                              "false": 0, "absent_sure": 0, "unk": 0})
                    if got is None:
                        st["unk"] += 1
                    if signed:
                        st["signed"] += 1
                        st["found"] += got is True
                        st["found_sure"] += got is True and sure
                    else:
                        st["unsigned"] += 1
                        st["false"] += got is True
                        st["absent_sure"] += got is False and sure
                if split == "developed" and (got is not signed or not sure):
                    misses.append((q, fam, 9100 + i, signed, got, fv.confidence if fv else None))
    lines = ["| quality | split | family | signed | found | found, confident | unsigned | false present | "
             "absent, confident | not verifiable |", "|---|---|---|---|---|---|---|---|---|---|"]
    for (q, split, fam), st in sorted(stats.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] != "all", kv[0][2])):
        pct = lambda a, b: f"{a}/{b} ({a / b:.0%})" if b else "-"
        lines.append(f"| {q} | {split} | {fam} | {st['signed']} | {pct(st['found'], st['signed'])} | "
                     f"{pct(st['found_sure'], st['signed'])} | {st['unsigned']} | {pct(st['false'], st['unsigned'])} | "
                     f"{pct(st['absent_sure'], st['unsigned'])} | {st['unk']} |")
    return lines, misses


def _corpus():
    try:
        from tests.corpus import DOC_TYPES, QUALITIES, generate_document  # noqa: F401

        return DOC_TYPES, QUALITIES, generate_document
    except Exception:
        return None


class PR:
    def __init__(self):
        self.tp = self.fp = self.fn = self.tn = self.unk = 0

    def add(self, truth: bool, pred):
        if pred is None:
            self.unk += 1
        elif truth and pred:
            self.tp += 1
        elif truth:
            self.fn += 1
        elif pred:
            self.fp += 1
        else:
            self.tn += 1

    def p(self):
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    def r(self):
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    def row(self):
        n = self.tp + self.fp + self.fn + self.tn + self.unk
        return (f"{n} | {self.p():.1%} | {self.r():.1%} | {self.tp} | {self.fp} | {self.fn} | {self.tn} | {self.unk}")


def _synth_cases(count: int, qualities):
    for q in qualities:
        for i in range(count):
            seed = 1000 * (QUALITIES_SYNTH.index(q) + 1) + i
            rng = random.Random(seed)
            yield q, synth_page(seed, q, seal=rng.random() < 0.6, signature=rng.random() < 0.6)


def main(argv=None):
    from extractors.seals import detect_seals, seal_verifiability
    from extractors.signatures import detect_signature

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=20, help="pages per quality level")
    ap.add_argument("--source", choices=["auto", "corpus", "synth"], default="auto")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "seals.md"))
    ap.add_argument("--no-signatures", dest="signatures", action="store_false",
                    help="corpus mode: skip the signature fields (they need OCR to find the label)")
    ap.add_argument("--families", action="store_true",
                    help="signatures only: commitment letters of every layout family (scan, photo), "
                         "developed per family, held-out as an aggregate; --count letters per family")
    ap.add_argument("--qualities", default="scan,photo", help="--families mode: quality levels")
    ap.add_argument("--ocr-cache", default=None, help="OCR cache directory (default bench/accuracy's)")
    args = ap.parse_args(argv)
    if args.families:
        t0 = time.time()
        lines, misses = signature_families(args.count, args.qualities.split(","), args.ocr_cache)
        text = "\n".join(["# Signature presence per commitment letter family (bench/seals.py --families)", "",
                          f"{args.count} letters per family and quality, signed and unsigned alternating; "
                          f"'confident' = confidence >= {REVIEW_THRESHOLD} (no review); {time.time() - t0:.0f} s.",
                          ""] + lines) + "\n"
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(text)
        for m in misses:
            print("DEVELOPED MISS/DOUBT", m)
        return
    corpus = _corpus() if args.source in ("auto", "corpus") else None
    if args.source == "corpus" and corpus is None:
        sys.exit("tests.corpus.generate_document is not available")
    rows = []
    failures = []
    t_all = time.time()
    if corpus is None:
        source = "synthetic pages (bench/seals.py synth_page)"
        cases = _synth_cases(args.count, QUALITIES_SYNTH)
        by_q = {}
        for q, doc in cases:
            st = by_q.setdefault(q, [PR(), PR(), PR(), 0.0, 0])
            img = doc.pages[0]
            t = time.time()
            seals = detect_seals(img, doc.truth["dpi"])
            sig, _ = detect_signature(img, doc.truth["dpi"], doc.sig_region, seals)
            st[3] += time.time() - t
            st[4] += 1
            truth_seal = bool(doc.truth["seals"])
            pred_seal = bool(seals)
            if not pred_seal and seal_verifiability(img) != "color":
                st[2].add(truth_seal, None)  # reported "not verifiable"
            else:
                st[2].add(truth_seal, pred_seal)
            st[0].add(truth_seal, pred_seal)
            st[1].add(doc.truth["signature_present"], sig)
            if pred_seal != truth_seal or sig != doc.truth["signature_present"]:
                failures.append((q, doc.truth, [(s.bbox, s.confidence) for s in seals], sig))
        for q, (ps, pg, pv, t, n) in by_q.items():
            rows.append((q, ps, pg, pv, t / max(n, 1)))
    else:
        DOC_TYPES, QUALITIES, generate_document = corpus
        source = "tests.corpus.generate_document"
        by_q = {}
        for q in QUALITIES:
            for i in range(args.count):
                dtype = DOC_TYPES[i % len(DOC_TYPES)]
                rng = random.Random(7000 + i)
                opts = {}
                if dtype in ("commitment_letter", "authorization_letter", "service_contract"):
                    opts["seal"] = rng.random() < 0.6
                if dtype in ("commitment_letter", "authorization_letter"):
                    opts["signature"] = rng.random() < 0.6
                # only the commitment letter's schema asks for the signature (contract §1)
                measure_sig = dtype == "commitment_letter"
                doc = generate_document(dtype, seed=5000 + i, quality=q, **opts)
                st = by_q.setdefault(q, [PR(), PR(), PR(), 0.0, 0])
                dpi = doc.truth.get("dpi")
                truth_pages = {s["page"] for s in doc.truth.get("seals", [])}
                t = time.time()
                for pno, img in enumerate(doc.pages, 1):
                    seals = detect_seals(img, dpi, page=pno)
                    st[0].add(pno in truth_pages, bool(seals))
                    if not seals and seal_verifiability(img) != "color":
                        st[2].add(pno in truth_pages, None)
                    else:
                        st[2].add(pno in truth_pages, bool(seals))
                    if pno in truth_pages and not seals or seals and pno not in truth_pages:
                        failures.append((q, dtype, 5000 + i, pno, [(s.bbox, s.shape, s.confidence) for s in seals]))
                st[3] += time.time() - t
                st[4] += 1
                if measure_sig and args.signatures:
                    # the signature field as the pipeline extracts it (label found by OCR, then ink)
                    got = _extracted_signature(doc)
                    st[1].add(bool(opts["signature"]), got)
                    if got != opts["signature"]:
                        failures.append((q, dtype, 5000 + i, "signature", got))
        for q, (ps, pg, pv, t, n) in by_q.items():
            rows.append((q, ps, pg, pv, t / max(n, 1)))
    lines = [
        "# Seals and signatures (bench/seals.py)",
        "",
        f"Source: {source}; {args.count} documents per quality level; total {time.time() - t_all:.0f} s.",
        f"Command: `.venv/bin/python bench/seals.py --count {args.count}`.",
        "",
        "Seals: every page of every type (ID cards, invoices without a seal, bank receipts are the",
        "negatives), counted as present when `detect_seals` finds at least one seal. The second row",
        "counts a grayscale page without a detected seal as *not verifiable* (routed to review, not",
        "rejected). Signatures: the `signature_present` field the pipeline extracts (OCR finds the",
        "label, the detector reads the ink beside it) on commitment letters, the one type whose schema",
        "asks for it.",
        "",
        "| quality | what | n | precision | recall | TP | FP | FN | TN | not verifiable |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for q, ps, pg, pv, t in rows:
        lines.append(f"| {q} | seal present | {ps.row()} |")
        lines.append(f"| {q} | seal present, gray → not verifiable | {pv.row()} |")
        lines.append(f"| {q} | signature present | {pg.row()} |")
    lines.append("")
    lines.append("Seconds per page (seal detection): " + ", ".join(f"{q} {t:.2f}" for q, *_, t in rows))
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(text)
    for f in failures[:40]:
        print("MISS", f)


if __name__ == "__main__":
    main()
