"""The typed state the lifespan hands to every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from starlette.requests import Request

from relay.broker import Broker
from relay.config import RelayConfig
from relay.db.store import Store

if TYPE_CHECKING:
    from relay.deadlines import DeadlineTask


@dataclass
class RelayState:
    config: RelayConfig
    store: Store
    broker: Broker
    deadlines: DeadlineTask
    setup_token: str | None = field(default=None, repr=False)  # plaintext, this process only, never stored


def get_state(request: Request) -> RelayState:
    return cast(RelayState, request.state.relay)
