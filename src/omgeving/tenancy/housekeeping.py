"""Housekeeping: what each app removes once it has served its time (expired Idempotency-Keys,
login counters that count nothing, files no document row points to). Apps register a
function in their `ready()`; the worker's recurring sweep (webhooks/delivery.py) runs them
all. Kept here, at the bottom of the house, so that the sweep needs to know no app."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("omgeving.housekeeping")

_JOBS: dict[str, Callable[[], int]] = {}


def register(name: str, job: Callable[[], int]) -> None:
    """`job()` removes what is due and returns how many things it removed."""
    _JOBS[name] = job


def run() -> dict[str, int]:
    """Every registered job; one that fails is logged and does not stop the others."""
    done = {}
    for name, job in _JOBS.items():
        try:
            done[name] = job()
        except Exception:  # noqa: BLE001 (housekeeping must not stop the sweep)
            log.exception("housekeeping job %s failed", name)
    return done
