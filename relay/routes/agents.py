"""The owner's agents, and an agent's view of itself."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.auth import authenticate
from relay.errors import RelayError
from relay.http import json_response
from relay.render import agent_info
from relay.routing import Api
from relay.state import get_state


async def list_agents(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    rows = await relay.store.read(lambda tx: tx.agents_of(principal.owner_id))
    return json_response({"agents": [agent_info(r) for r in rows]})


async def agent_me(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "agent")
    agent_id = principal.agent_id
    assert agent_id is not None
    row = await relay.store.read(lambda tx: tx.agent(agent_id))
    if row is None:
        raise RelayError("unauthorized")
    return json_response(agent_info(row))


API = (
    Api("GET", "/v1/agents", list_agents, "The owner's agents", auth=("owner",), response=wire.AgentList),
    Api("GET", "/v1/agents/me", agent_me, "The calling agent, with its owner's keys and its certificate",
        auth=("agent",), response=wire.AgentInfo),
)
