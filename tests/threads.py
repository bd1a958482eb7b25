"""Run calls at the same moment in threads, each with its own database connection."""

import threading
from collections.abc import Callable, Iterable

from django.db import connections


def run_at_once(func: Callable, calls: Iterable[tuple]) -> tuple[list, list[Exception]]:
    """Call `func(*args)` for each args tuple, all released together; (results, errors)."""
    calls = list(calls)
    start = threading.Barrier(len(calls))
    results, errors = [], []

    def run(args):
        try:
            start.wait()
            results.append(func(*args))
        except Exception as exc:  # noqa: BLE001 - the caller asserts on what a call raised
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(args,)) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
