"""Running the same work in two threads at once, each in its own application context (and so
its own database session), as two machines would."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

T = TypeVar("T")


def at_once(app: Flask, work: Callable[[], T], times: int = 2, timeout: float = 30) -> list[T]:
    """What `work` returned in each of `times` threads started together; a thread that raised or
    did not finish within `timeout` seconds is missing from the list."""
    results: list[T] = []

    def run() -> None:
        with app.app_context():
            results.append(work())

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
