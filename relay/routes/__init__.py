"""The API, one module per feature; `API` is the whole route table (it also drives /openapi.json)."""

from relay.routes import (
    agents,
    events,
    feed,
    guests,
    messages,
    owners,
    pairings,
    readers,
    sessions,
    webhooks,
)
from relay.routing import Api

API: tuple[Api, ...] = (
    *owners.API,
    *pairings.API,
    *agents.API,
    *sessions.API,
    *messages.API,
    *guests.API,
    *feed.API,
    *events.API,
    *readers.API,
    *webhooks.API,
)

__all__ = ["API"]
