"""Security benchmark: masking property runs and concurrent sign-in attempts (issue 13).

    .venv/bin/python bench/security.py                    # writes bench/results/security.md
    .venv/bin/python bench/security.py --examples 500 --attempts 50 --no-write

1. Masking: the hypothesis strategies of tests/security/masking_props.py (real-shaped ID, mobile,
   landline and account numbers written with OCR confusions, separators and glued words; the
   same with the value given to the masker; spaced addresses) run for --examples each; a leak is
   a masked text from which the hidden middle of the number can still be read.
2. Sign-in throttling: a real `docintake review` server over the security test database;
   --attempts parallel wrong passwords for one account from one client address, then the same
   spread over ten client addresses; counts how many reached the password check (401) and how
   many were refused (429), and whether the real user, from a clean address, still signs in.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def masking(examples: int) -> list[dict]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from intake.masking import mask_text
    from tests.security.masking_props import id_number, leaked, mobile, ocr_written, text_with_secret

    cfg = settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))
    rows = []

    def run(name, strategy, check):
        seen, leaks = [0], []

        @cfg
        @given(strategy)
        def prop(case):
            seen[0] += 1
            bad = check(case)
            if bad:
                leaks.append(bad)

        start = time.monotonic()
        prop()
        rows.append({"property": name, "examples": seen[0], "leaks": len(leaks), "sample": leaks[:3],
                     "seconds": time.monotonic() - start})

    def pattern(case):
        value, text = case
        masked = mask_text(text)
        return (text, masked) if leaked(value, masked) else None

    def several(cases):
        text = "\n".join(t for _, t in cases)
        masked = mask_text(text)
        values = tuple(v for v, _ in cases)
        return (text, masked) if any(leaked(v, masked, values) for v in values) else None

    @st.composite
    def value_case(draw):
        value = draw(st.one_of(id_number(), mobile()).filter(lambda v: len(set(v[3:-4])) >= 3))
        written = [draw(ocr_written(value)) for _ in range(draw(st.integers(1, 3)))]
        return value, "，另见 ".join(written)

    def by_value(case):
        value, text = case
        masked = mask_text(text, [(value, 3, 4)])
        return (text, masked) if leaked(value, masked) else None

    address = "河南省许昌市魏都区七一路18号"

    def spaced(gaps):
        text = "住址 " + "".join(c + g for c, g in zip(address, gaps + [""]))
        masked = mask_text(text, [(address, 6, 0)])
        return (text, masked) if "七一路" in re.sub(r"\s", "", masked) else None

    run("a number as OCR writes it (no field value known)", text_with_secret(), pattern)
    run("2-4 numbers in one text", st.lists(text_with_secret(), min_size=2, max_size=4), several)
    run("a personal field's value, 1-3 occurrences, confused and spaced", value_case(), by_value)
    run("an address with OCR spacing", st.lists(st.sampled_from([" ", "", "  ", "\u3000"]), min_size=14,
                                                max_size=14), spaced)
    return rows


def logins(attempts: int) -> dict:
    import httpx

    from review import throttle
    from tests.security import build
    from tests.security.conftest import free_port, start_review, stop

    tmp = Path(tempfile.mkdtemp(prefix="bench-security-"))
    db = build.build(tmp / "data")
    port = free_port()
    proc = start_review(db["db"], port)
    base = f"http://127.0.0.1:{port}"

    def attempt(address: str, password: str = "wrong-password-zz", username: str = "sadmin") -> int:
        with httpx.Client(base_url=base, timeout=120, follow_redirects=False,
                          transport=httpx.HTTPTransport(local_address=address)) as c:
            token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/-/review/login").text).group(1)
            return c.post("/-/review/login", data={"username": username, "password": password,
                                                   "csrftoken": token}).status_code

    try:
        start = time.monotonic()
        with ThreadPoolExecutor(50) as pool:
            one = list(pool.map(lambda _: attempt("127.0.3.1"), range(attempts)))
        one_s = time.monotonic() - start
        addresses = [f"127.0.4.{i}" for i in range(1, 11)]
        with ThreadPoolExecutor(50) as pool:
            many = list(pool.map(lambda i: attempt(addresses[i % 10]), range(attempts)))
        real_user = attempt("127.0.5.1", build.PASSWORD)
    finally:
        stop(proc)
    return {"attempts": attempts, "one_client": one, "one_seconds": one_s, "many_clients": many,
            "real_user": real_user, "client_limit": throttle.CLIENT_LIMIT, "account_limit": throttle.ACCOUNT_LIMIT,
            "clients": len(addresses)}


def write_report(args, mask_rows, login) -> str:
    total = sum(r["examples"] for r in mask_rows)
    leaks = sum(r["leaks"] for r in mask_rows)
    lines = [
        "# Security: masking properties and concurrent sign-ins", "",
        "Command (from the repository root):", "", "```",
        f".venv/bin/python bench/security.py --examples {args.examples} --attempts {args.attempts}", "```", "",
        "## Masking fails closed (hypothesis, derandomized)", "",
        f"**{total:,} examples, {leaks} leaks.** A leak: the masked text still shows the hidden middle of the "
        "number (everything but the first 3 and last 4 digits), after undoing OCR confusions and dropping "
        "separators.", "",
        "| property | examples | leaks | seconds |", "|---|---:|---:|---:|",
    ]
    for r in mask_rows:
        lines.append(f"| {r['property']} | {r['examples']:,} | {r['leaks']} | {r['seconds']:.1f} |")
    for r in mask_rows:
        for text, masked in r["sample"]:
            lines.append(f"\nleak in {r['property']!r}: {text!r} -> {masked!r}")
    one, many = login["one_client"], login["many_clients"]
    lines += [
        "", "## Concurrent wrong passwords against a real review server", "",
        f"{login['attempts']} wrong passwords for the admin account, 50 at a time, all from one client address "
        f"({login['one_seconds']:.1f} s): **{one.count(401)} reached the password check** (limit per client "
        f"{login['client_limit']}), {one.count(429)} refused with 429, other statuses: "
        f"{sorted(set(one) - {401, 429}) or 'none'}.", "",
        f"{login['attempts']} more spread over {login['clients']} client addresses: {many.count(401)} reached the "
        f"check (bound: per-client limit x clients = {login['client_limit'] * login['clients']}; the account "
        f"lock at {login['account_limit']} recent failures then refuses every client that has failed), "
        f"{many.count(429)} refused.", "",
        f"The real admin from a clean address afterwards: HTTP {login['real_user']} "
        f"({'signed in' if login['real_user'] == 302 else 'NOT signed in'}).", "",
        "Attempts are recorded in SQLite (`login_attempts`) in the same IMMEDIATE transaction that counts the "
        "earlier failures, before the password is checked, so parallel requests cannot all pass the check.", "",
    ]
    text = "\n".join(lines)
    if not args.no_write:
        (ROOT / "bench" / "results" / "security.md").write_text(text)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=2000, help="hypothesis examples per masking property")
    ap.add_argument("--attempts", type=int, default=200, help="parallel wrong passwords per scenario")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/security.md")
    args = ap.parse_args()
    rows = masking(args.examples)
    login = logins(args.attempts)
    print(write_report(args, rows, login))


if __name__ == "__main__":
    main()
