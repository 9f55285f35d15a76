"""The owner's agents, and an agent's view of itself."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.activity import DEFAULT_DAYS, DEFAULT_HOURS, agent_activity
from relay.auth import authenticate
from relay.db.store import Row, Tx
from relay.errors import RelayError
from relay.http import json_response, parse_query
from relay.render import agent_info, agent_peer
from relay.routing import Api
from relay.state import get_state


class ActivityQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    hours: int = Field(default=DEFAULT_HOURS, ge=1, le=24 * 14)  # how many hourly bars
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=365)  # the window for response times and SLA


def with_peers(tx: Tx, row: Row) -> dict[str, Any]:
    """`AgentInfo` with the agents that may read its sessions and those whose sessions it may read."""
    return {**agent_info(row), "readers": [agent_peer(r) for r in tx.readers_of(row["agent_id"])],
            "readable": [agent_peer(r) for r in tx.readable_by(row["agent_id"])]}


async def list_agents(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    agents = await relay.store.read(lambda tx: [with_peers(tx, r) for r in tx.agents_of(principal.owner_id)])
    return json_response({"agents": agents})


async def agent_me(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "agent")
    agent_id = principal.agent_id
    assert agent_id is not None

    def read(tx: Tx) -> dict[str, Any] | None:
        row = tx.agent(agent_id)
        return None if row is None else with_peers(tx, row)

    info = await relay.store.read(read)
    if info is None:
        raise RelayError("unauthorized")
    return json_response(info)


async def my_activity(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "agent")
    query = parse_query(request, ActivityQuery)
    agent_id = principal.agent_id
    assert agent_id is not None
    figures = await relay.store.read(lambda tx: agent_activity(tx, agent_id, hours=query.hours, days=query.days))
    if figures is None:
        raise RelayError("unauthorized")
    return json_response(figures)


async def activity(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    query = parse_query(request, ActivityQuery)
    agent_id = request.path_params["agent_id"]

    def read(tx: Tx) -> dict[str, Any] | None:
        agent = tx.agent(agent_id)
        if agent is None or agent["owner_id"] != principal.owner_id:
            return None
        return agent_activity(tx, agent_id, hours=query.hours, days=query.days)

    figures = await relay.store.read(read)
    if figures is None:
        raise RelayError("not_found", "no such agent")
    return json_response(figures)


API = (
    Api("GET", "/v1/agents", list_agents, "The owner's agents", auth=("owner",), response=wire.AgentList),
    Api("GET", "/v1/agents/me", agent_me, "The calling agent, with its owner's keys and its certificate",
        auth=("agent",), response=wire.AgentInfo),
    Api("GET", "/v1/agents/me/activity", my_activity,
        "The calling agent's figures: open requests, response times, SLA, messages per hour, last seen",
        auth=("agent",), query=ActivityQuery, response=wire.Activity),
    Api("GET", "/v1/agents/{agent_id}/activity", activity,
        "An agent's figures from routing metadata: open requests, response times, SLA, messages per hour",
        auth=("owner",), query=ActivityQuery, response=wire.Activity, errors=("not_found",)),
)
