"""The typed state the lifespan hands to every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from starlette.requests import Request

from relay.broker import Broker
from relay.config import RelayConfig
from relay.db.store import Store
from relay.longpoll import Coalescer

if TYPE_CHECKING:
    from relay.deadlines import DeadlineTask
    from relay.webhooks import WebhookWorker


@dataclass
class RelayState:
    config: RelayConfig
    store: Store
    broker: Broker
    deadlines: DeadlineTask
    coalescer: Coalescer = field(default_factory=Coalescer)  # shared timeline reads of woken waiters
    setup_token: str | None = field(default=None, repr=False)  # plaintext, this process only, never stored
    webhooks: WebhookWorker | None = None  # the delivery worker (started by the lifespan)


def get_state(request: Request) -> RelayState:
    """The lifespan's state (servers without lifespan state get it from the app, where the lifespan
    also leaves it)."""
    state = request.scope.get("state", {}).get("relay")
    if state is None:
        state = request.app.state.relay
    return cast(RelayState, state)
