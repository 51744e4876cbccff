"""Entry point for ``docintake demo INBOX`` and ``python -m tests.corpus INBOX``."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from .corpus import write_corpus


def demo(inbox: Path, seed: int = 0, count: int = 6, as_of: date | None = None, split: str = "all") -> list[Path]:
    """Demo submissions dated ``as_of`` (default today), so that they are judged as intended
    when ingested today: a licence or ID card valid then is valid now. Documents are drawn from
    every layout family (``split="all"``), so staff see scans as varied as real ones."""
    as_of = as_of or date.today()
    # vouchers need room in the year for contract, invoice and payment before the submission
    as_of = max(as_of, date(as_of.year, 4, 1))
    return write_corpus(Path(inbox), seed=seed, count=count, as_of=as_of, split=split)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.corpus", description="Write a demo inbox with ground truth.")
    ap.add_argument("inbox", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=6)
    ap.add_argument("--split", choices=("developed", "held_out", "all"), default="all",
                    help="layout families to draw documents from (default: all)")
    args = ap.parse_args(argv)
    for path in demo(args.inbox, args.seed, args.count, split=args.split):
        print(path)
    return 0
