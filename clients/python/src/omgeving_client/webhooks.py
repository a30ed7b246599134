"""Receiving Omgeving's webhooks: check the Standard Webhooks signature before trusting a
byte of the body (with the `standardwebhooks` library, so the check is the spec's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

__all__ = ["InvalidSignature", "verify"]


class InvalidSignature(Exception):
    """Missing headers, a timestamp more than 5 minutes off, or no matching signature."""


def verify(headers: Mapping[str, str], body: bytes | str,
           secret: str | Iterable[str]) -> dict[str, Any]:
    """The verified event (`{"id", "type", "object_id", "external_id", "version", "at",
    "cursor"}`) or InvalidSignature. `secret`: the `whsec_…` shown when the webhook was
    made, or several (during a rotation either one will do)."""
    secrets = [secret] if isinstance(secret, str) else list(secret)
    plain = {str(k): str(v) for k, v in headers.items()}
    for one in secrets:
        try:
            return cast(dict[str, Any], Webhook(one).verify(body, plain))
        except WebhookVerificationError as exc:
            error = exc
    raise InvalidSignature(str(error) if secrets else "no secret given")
