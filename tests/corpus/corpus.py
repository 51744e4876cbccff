"""write_corpus: a realistic mixed inbox with ground truth under INBOX/.truth/."""
from __future__ import annotations

import inspect
import random
from pathlib import Path

from .documents import encode_pages, truth_json
from .packets import KINDS, PACKET_DEFECTS, SERIES_DEFECTS, GeneratedPacket, generate_packet, generate_packet_series

QUALITY_MIX = ("scan", "scan", "photo", "lowres", "clean")


def write_stack(packet: GeneratedPacket, inbox: Path, loose: bool = False) -> Path:
    """All documents of a packet scanned as one multi-page PDF: INBOX/<name>/scan_all.pdf, or with
    ``loose`` the file INBOX/<name>.pdf itself (its truth under INBOX/.truth/<name>.pdf/).
    Returns the submission's path (folder, or the loose file)."""
    pages, entries, n = [], [], 0
    dpi = packet.documents[0].truth["dpi"]
    quality = packet.documents[0].truth["quality"]
    for d in packet.documents:
        if d.truth["dpi"] != dpi:
            d.pages = [im.resize((round(im.width * dpi / d.truth["dpi"]), round(im.height * dpi / d.truth["dpi"])))
                       for im in d.pages]
            scale = dpi / d.truth["dpi"]
            seals = [dict(s, bbox=[round(c * scale) for c in s["bbox"]]) for s in d.truth["seals"]]
        else:
            seals = d.truth["seals"]
        mode = "L" if quality == "lowres" else "RGB"
        pages += [im.convert(mode) for im in d.pages]
        entry = {k: v for k, v in d.truth.items() if k not in ("quality", "dpi")}
        entry["pages"] = [n + p for p in d.truth["pages"]]
        entry["seals"] = [dict(s, page=n + s["page"]) for s in seals]
        entries.append(entry)
        n += len(d.pages)
    data = encode_pages(pages, ".pdf", dpi, 85)
    truth = {"documents": entries, "quality": quality, "dpi": dpi}
    if loose:
        fname = f"{packet.name}.pdf"
        target = inbox / fname
        truth_dir = inbox / ".truth" / fname
    else:
        fname = "scan_all.pdf"
        target = inbox / packet.name / fname
        truth_dir = inbox / ".truth" / packet.name
    target.parent.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    (truth_dir / f"{fname}.json").write_text(truth_json(truth), "utf-8")
    files = [{"file": fname, "type": d.type} for d in packet.documents]
    (truth_dir / "packet.json").write_text(truth_json(dict(packet.truth, documents=files)), "utf-8")
    return target if loose else target.parent


def _packet_kwargs(split: str | None) -> dict:
    """``split`` for generate_packet; packets.py (another branch) takes it from issue 11 on, and a
    generator without it draws the classic layouts only, as it always did."""
    if split is None:
        return {}
    if "split" not in inspect.signature(generate_packet).parameters:
        return {}
    return {"split": split}


def write_corpus(inbox_dir, seed: int = 0, count: int | None = None, kinds=None,
                 quality: str | None = None, as_of=None, split: str | None = None) -> list[Path]:
    """Valid packets of both kinds, defect packets, one submission scanned as a single multi-page PDF
    stack in its folder, and one loose single file (a whole packet as one PDF directly in INBOX).
    ``quality`` forces one quality level for everything (default: a realistic mix).
    ``as_of`` dates every submission (default: dates drawn from the seed).
    ``split`` draws each document's layout family from that split (tests/corpus/families.py);
    None keeps the classic layouts (the inbox tests and caches rely on it).
    Returns the submission paths (folders, and the loose file)."""
    inbox = Path(inbox_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    kinds = tuple(kinds or KINDS)
    count = 6 if count is None else count
    rng = random.Random(f"corpus:{seed}")
    written: list[Path] = []
    k = 0
    extra = _packet_kwargs(split)
    extra_series = extra if "split" in inspect.signature(generate_packet_series).parameters else {}

    def next_seed():
        nonlocal k
        k += 1
        return seed * 1000 + k

    plan = [("valid", kind) for kind in kinds] + [("stack", kinds[0]), ("loose", kinds[-1])]
    defects = [d for d, kd in PACKET_DEFECTS.items() if kd in kinds]
    rng.shuffle(defects)
    plan += [("defect", d) for d in defects]
    for step, arg in plan:
        if len(written) >= count:
            break
        q = rng.choice(QUALITY_MIX)
        q = quality or q
        if step == "valid":
            written.append(generate_packet(arg, next_seed(), None, q, as_of=as_of, **extra).write(inbox))
        elif step in ("stack", "loose"):
            packet = generate_packet(arg, next_seed(), None, quality or "scan", stack=True, as_of=as_of, **extra)
            written.append(write_stack(packet, inbox, loose=step == "loose"))
        else:
            kind = PACKET_DEFECTS[arg]
            series = generate_packet_series(kind, next_seed(), arg, q, as_of=as_of, **extra_series)
            if len(written) + len(series) > count and arg in SERIES_DEFECTS:
                continue
            for p in series:
                written.append(p.write(inbox))
    return written
