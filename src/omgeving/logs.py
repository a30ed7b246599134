"""Logging filters."""

from __future__ import annotations

import logging


class OneLineSecurityRecords(logging.Filter):
    """A refused Host or another suspicious request is one line, not a traceback: anyone can
    send them, and 40 lines each would let them flood the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security"):
            record.exc_info = None
            record.exc_text = None
        return True
