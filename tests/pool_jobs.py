"""Job functions for tests/test_workers.py: importable by name in spawned worker processes."""

from __future__ import annotations

import os
import time


def square(value: int) -> int:
    return value * value


def pid_of_worker(_: int) -> int:
    return os.getpid()


def niceness_of_worker(_: int) -> int:
    return os.nice(0)


def spin_forever(_: int) -> None:
    while True:  # a document whose parse never ends
        pass


def pause(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def sleep_forever(_: int) -> None:
    time.sleep(3600)


def die(_: int) -> None:
    os._exit(139)  # as a segfaulting extension would


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def fail(_: int) -> None:
    raise ValueError("bad document")
