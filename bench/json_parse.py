"""What the bounded JSON reader (planocore.api.parsers.json_loads) costs over json.loads.

Prints microseconds per parse for a typical API body, a 1 MB body of many small objects
(the worst case of the depth walk), and the time to refuse a 2 KB body of 1,000 nested
arrays (the body that used to crash every POST route).

    .venv/bin/python bench/json_parse.py
"""

import json
import os
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "b" * 40)  # none built in

import django  # noqa: E402

django.setup()

from planocore.api.parsers import json_loads  # noqa: E402

BODIES = {
    "typical body (0.6 KB)": json.dumps(
        {"notification_type": "email", "email_to": "ann@example.com", "email_body": "x" * 500}
    ),
    "many objects (1.3 MB)": json.dumps(
        [{"email_to": "ann@example.com", "n": n, "tags": ["a", "b"]} for n in range(20_000)]
    ),
}
DEEP = "[" * 1000 + "]" * 1000


def per_call(func, number: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=5)) / number * 1e6


def refuse_deep() -> None:
    try:
        json_loads(DEEP)
    except ValueError:
        return
    raise AssertionError("the deep body was taken")


def main() -> None:
    print(f"{'body':<24}{'json.loads':>12}{'json_loads':>12}{'+refuse_nul':>13}  (µs per parse)")
    for name, text in BODIES.items():
        number = 20 if len(text) > 100_000 else 20_000
        plain = per_call(lambda: json.loads(text), number)  # noqa: B023 - called at once
        bounded = per_call(lambda: json_loads(text), number)  # noqa: B023
        no_nul = per_call(lambda: json_loads(text, refuse_nul=True), number)  # noqa: B023
        print(f"{name:<24}{plain:>12.1f}{bounded:>12.1f}{no_nul:>13.1f}")
    print(f"{'2 KB, 1,000 levels':<24}{'crash':>12}{per_call(refuse_deep, 1000):>12.1f}  (refused)")


if __name__ == "__main__":
    main()
