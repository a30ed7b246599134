"""omgeving-client: the Omgeving API from Python, with the 5-minute token, retries,
idempotency and paging taken care of. See client.py."""

from . import errors, webhooks
from .client import Client, Record
from .errors import OmgevingError

__all__ = ["Client", "OmgevingError", "Record", "errors", "webhooks"]
__version__ = "0.1.0"
