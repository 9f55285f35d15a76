"""Webhook signatures: how the relay signs a delivery and how a receiver checks it.

Every delivery is a POST with a JSON body (`wire.WebhookDelivery`) and these headers:

| header | value |
|---|---|
| `Hiloop-Signature` | `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>` |
| `Hiloop-Timestamp` | Unix seconds when this attempt was signed |
| `Hiloop-Delivery` | the delivery id (the same on every retry: de-duplicate on it) |
| `Hiloop-Event` | the event name (`response`, `expired`, …) |

    from hiloop.webhooks import verify_webhook
    delivery = verify_webhook(request.headers, await request.body(), secret)   # raises InvalidWebhook

The secret is the `whsec_…` string shown once when the webhook was registered (the HMAC key is its
UTF-8 bytes). A delivery is accepted when one of the `v1=` signatures matches and its timestamp is
within `tolerance` seconds of now (the replay window; 300 s by default).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from pydantic import ValidationError

from hiloop import wire
from hiloop.errors import HiloopError

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TOLERANCE",
    "InvalidWebhook",
    "sign_webhook",
    "signature_headers",
    "verify_webhook",
]

SIGNATURE_HEADER = "Hiloop-Signature"
TIMESTAMP_HEADER = "Hiloop-Timestamp"
DELIVERY_HEADER = "Hiloop-Delivery"
EVENT_HEADER = "Hiloop-Event"
SECRET_PREFIX = "whsec_"
TOLERANCE = 300  # seconds: the replay window
SCHEME = "v1"


class InvalidWebhook(HiloopError, ValueError):
    """A delivery that does not verify: no or bad signature, a timestamp outside the window, a bad body."""


def sign_webhook(secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp + "." + body` keyed by the secret's UTF-8 bytes."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return mac.hexdigest()


def signature_headers(secret: str, body: bytes, *, delivery_id: str, event: str,
                      timestamp: int | None = None) -> dict[str, str]:
    """The headers of one delivery attempt (the relay's side)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        SIGNATURE_HEADER: f"{SCHEME}={sign_webhook(secret, ts, body)}",
        TIMESTAMP_HEADER: str(ts),
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event,
        "Content-Type": "application/json",
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    if value is None:
        for key, item in headers.items():
            if key.lower() == name.lower():
                return item
    return value


def verify_webhook(
    headers: Mapping[str, str], body: bytes, secret: str, *, tolerance: float = TOLERANCE, now: float | None = None
) -> wire.WebhookDelivery:
    """Check a delivery's signature and timestamp; return its parsed body. Raises InvalidWebhook.

    `headers` is any mapping (Starlette's, httpx's or a plain dict; names are matched case-insensitively).
    """
    signature = _header(headers, SIGNATURE_HEADER)
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise InvalidWebhook(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    try:
        ts = int(timestamp.strip())
    except ValueError:
        raise InvalidWebhook(f"{TIMESTAMP_HEADER} is not a number of seconds") from None
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise InvalidWebhook("the timestamp is outside the replay window")
    expected = sign_webhook(secret, ts, body)
    offered = [part.strip()[len(SCHEME) + 1:] for part in signature.split(",")
               if part.strip().startswith(SCHEME + "=")]
    if not any(hmac.compare_digest(expected, sig) for sig in offered):
        raise InvalidWebhook("the signature does not match")
    try:
        delivery = wire.WebhookDelivery.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise InvalidWebhook("the body is not a webhook delivery") from exc
    delivery_header = _header(headers, DELIVERY_HEADER)
    if delivery_header is not None and delivery_header != delivery.id:
        raise InvalidWebhook(f"{DELIVERY_HEADER} does not match the body")
    return delivery
